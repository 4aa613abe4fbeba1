"""CAP pages: a warning's CAP XML (public warnings need no login) and the staff upload page for received CAP."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as HttpForbidden
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from citysafe.core.roles import DEPARTMENT_OPERATOR, is_municipal, user_roles

from . import cap, cap_services, selectors
from .models import CapMessage, EarlyWarning

CAP_CONTENT_TYPE = "application/cap+xml; charset=utf-8"


def cap_xml(request, pk):
    """The latest CAP message of a warning.  Public warnings: anyone; others: signed-in users who may see it."""
    warning = get_object_or_404(EarlyWarning, pk=pk)
    if not warning.is_public and not selectors.warnings_for(request.user).filter(pk=pk).exists():
        raise Http404
    message = cap_services.latest_cap(warning)
    if message is None:
        raise Http404
    response = HttpResponse(message.xml.encode("utf-8"), content_type=CAP_CONTENT_TYPE)
    response["Content-Disposition"] = f'inline; filename="{message.identifier or message.pk}.xml"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def can_import(user) -> bool:
    """Municipal administrators and department operators receive CAP from other systems."""
    return is_municipal(user) or DEPARTMENT_OPERATOR in user_roles(user)


class CapImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("CAP 报文文件(.xml)"), required=False)
    text = forms.CharField(label=gettext_lazy("或粘贴报文"), required=False,
                           widget=forms.Textarea(attrs={"rows": 8, "class": "form-control font-monospace"}))

    def clean(self):
        data = super().clean()
        upload, text = data.get("file"), (data.get("text") or "").strip()
        if upload is not None:
            if upload.size is not None and upload.size > cap.MAX_XML_BYTES:
                raise forms.ValidationError(_("文件过大(上限 %(n)s 字节)") % {"n": cap.MAX_XML_BYTES})
            data["payload"] = upload.read()
        elif text:
            data["payload"] = text
        else:
            raise forms.ValidationError(_("请选择文件或粘贴报文"))
        return data


@login_required
def cap_import(request):
    if not can_import(request.user):
        raise HttpForbidden
    form = CapImportForm(request.POST or None, request.FILES or None)
    message = None
    if request.method == "POST" and form.is_valid():
        message = cap_services.import_cap(form.cleaned_data["payload"], user=request.user)
        form = CapImportForm()
    recent = CapMessage.objects.filter(direction=CapMessage.Direction.IN).select_related("warning")[:20]
    return render(request, "early_warning/cap_import.html", {
        "form": form, "message": message, "errors": message.errors.splitlines() if message else [],
        "recent": recent})
