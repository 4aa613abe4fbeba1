"""Uploaded files: what may be uploaded, where it is stored, and how it is served back.

Files are stored under random names (the original name is not a guessable URL) and are never served from a public
``/media/`` URL: each app serves a file through a view that first checks the user may see the owning record.
Everything except a small set of image types is sent as a download, with ``nosniff`` and a sandboxing CSP, so an
uploaded HTML or SVG file can never run script in the site's origin.
"""

import mimetypes
import uuid
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import FileResponse
from django.utils.translation import gettext as _

# Evidence and hazard documents: office documents, PDF, images, plain text and archives of them.
ALLOWED_EXTENSIONS = {".pdf", ".jpg", ".jpeg", ".png", ".webp", ".gif", ".doc", ".docx", ".xls", ".xlsx", ".ppt",
                      ".pptx", ".txt", ".csv", ".zip", ".ofd", ".wps", ".et"}
INLINE_IMAGE_TYPES = {"image/jpeg", "image/png", "image/webp", "image/gif"}


def validate_upload(upload) -> None:
    """Raise ValidationError for a file type not on the list or larger than CITYSAFE_MAX_UPLOAD_MB."""
    suffix = Path(upload.name or "").suffix.lower()
    if suffix not in ALLOWED_EXTENSIONS:
        raise ValidationError(_("不支持的文件类型: %(suffix)s") % {"suffix": suffix or "?"})
    limit = settings.CITYSAFE_MAX_UPLOAD_MB * 1024 * 1024
    if upload.size is not None and upload.size > limit:
        raise ValidationError(_("文件过大(上限 %(mb)s MB)") % {"mb": settings.CITYSAFE_MAX_UPLOAD_MB})


def random_path(folder: str, filename: str) -> str:
    """<folder>/<yyyy>/<mm>/<uuid><ext>: keeps the extension, drops the (guessable, personal) original name."""
    from django.utils import timezone

    return f"{folder}/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{Path(filename).suffix.lower()[:10]}"


def evidence_path(instance, filename: str) -> str:
    return random_path("evidence", filename)


def hazard_file_path(instance, filename: str) -> str:
    return random_path("hazards", filename)


def execution_photo_path(instance, filename: str) -> str:
    return random_path("execution", filename)


def import_file_path(instance, filename: str) -> str:
    return random_path("imports", filename)


def serve_file(field_file, download_name: str | None = None) -> FileResponse:
    """Send a stored file: inline only for plain image types, otherwise as an attachment; never sniffable."""
    content_type = mimetypes.guess_type(field_file.name)[0] or "application/octet-stream"
    inline = content_type in INLINE_IMAGE_TYPES
    response = FileResponse(field_file.open("rb"), as_attachment=not inline,
                            filename=download_name or Path(field_file.name).name,
                            content_type=content_type if inline else "application/octet-stream")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response
