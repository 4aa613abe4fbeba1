"""Determination packs in the database, and confirming a hazard's grade against one.

A pack file (``data/determination/<code>-<version>.json``, see ``determination``) is stored as one
``DeterminationPack`` row per (code, version).  Versions are never overwritten: a hazard points at the version it
was judged by, so when a standard is revised (e.g. 第10号令 replaced 安监总管四〔2017〕129号) the old hazards keep
citing the old text while new determinations use the current version.

``confirm_determination`` is the only write of a hazard's grade by the checklist.  It does **not** list a major
hazard for supervision (挂牌督办): the workflow service (``services``) does that when it sees ``grade == major``.
"""

import datetime as dt
import json
import re
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from citysafe.core.audit import audited
from citysafe.core.roles import can_write, is_enterprise, is_municipal
from citysafe.core.scoping import organization_in_scope, scope_region_paths
from citysafe.workplans.errors import PermissionDenied, WorkplanError

from .determination import Pack, PackError, Proposal, load_pack, propose
from .models import DeterminationPack, Hazard, HazardGrade, HazardTransition
from .selectors import hazards_for

DEFAULT_DIRECTORY = Path(__file__).resolve().parent / "data" / "determination"
DETERMINE = "determine"


# --- storing packs ------------------------------------------------------------------------------------------------

@transaction.atomic
def load_packs(directory: str | Path | None = None) -> list[DeterminationPack]:
    """Store every ``*.json`` pack of ``directory`` (default: the packaged packs); returns them in file order.

    Idempotent: a (code, version) already stored with the same content is left untouched.  A new version is added
    and becomes the current one of its code (the latest by ``effective_from``, then version); older versions stay,
    marked ``is_current=False``, because hazards keep the version they were judged by.  A stored version whose file
    now differs raises ``PackError``: a changed pack must get a new version.  All files load or none does.
    """
    directory = Path(directory) if directory is not None else DEFAULT_DIRECTORY
    stored: list[DeterminationPack] = []
    codes: set[str] = set()
    for path in sorted(directory.glob("*.json")):
        pack = load_pack(path)  # validates, with the file name in parse errors
        content = json.loads(path.read_text(encoding="utf-8"))
        existing = DeterminationPack.objects.filter(code=pack.code, version=pack.version).first()
        if existing is not None:
            if existing.content != content:
                raise PackError(f"{path.name}: {pack.code} version {pack.version} is already stored with other "
                                f"content; give the changed pack a new version")
            stored.append(existing)
            continue
        stored.append(DeterminationPack.objects.create(
            code=pack.code, version=pack.version, title=pack.title[:200], document=pack.document[:100],
            effective_from=pack.effective_from, content=content, is_current=False))
        codes.add(pack.code)
    for code in codes:
        _mark_current(code)
    for row in stored:
        row.refresh_from_db(fields=["is_current"])
    return stored


def _version_key(version: str) -> tuple:
    """Natural order of version strings: "2023" < "2023.1" < "2023.10"."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.findall(r"\d+|\D+", version))


def _mark_current(code: str) -> None:
    rows = list(DeterminationPack.objects.select_for_update().filter(code=code))
    newest = max(rows, key=lambda r: (r.effective_from or dt.date.min, _version_key(r.version)))
    DeterminationPack.objects.filter(code=code).exclude(pk=newest.pk).filter(is_current=True).update(is_current=False)
    if not newest.is_current:
        DeterminationPack.objects.filter(pk=newest.pk).update(is_current=True)


def current_packs():
    """The packs offered for new determinations."""
    return DeterminationPack.objects.filter(is_current=True).order_by("code")


def pack_of(model: DeterminationPack) -> Pack:
    """The checklist of a stored pack (validated; raises ``PackError`` when the stored content is broken)."""
    return load_pack(model.content)


# --- confirming a determination -----------------------------------------------------------------------------------

def _in_region(user, hazard: Hazard) -> bool:
    paths = scope_region_paths(user)
    return paths is None or bool(hazard.region_id and any(hazard.region.path.startswith(p) for p in paths))


def can_determine(user, hazard: Hazard) -> bool:
    """Writers on the supervising side: municipal administrators, the hazard's supervising department, or the
    operators of its district; never a viewer, never the enterprise itself (it would grade its own hazard).
    ``user=None`` is a system call (import)."""
    if user is None:
        return True
    if not can_write(user) or is_enterprise(user):
        return False
    if not hazards_for(user).filter(pk=hazard.pk).exists():
        return False
    return is_municipal(user) or organization_in_scope(user, hazard.supervising_department_id) or \
        _in_region(user, hazard)


@audited
@transaction.atomic
def confirm_determination(*, user, hazard: Hazard, pack_model: DeterminationPack, ticked_ids,
                          comment: str = "") -> Proposal:
    """Grade ``hazard`` by the situations ticked on ``pack_model``'s checklist and record who did it.

    Runs ``determination.propose``; stores grade, basis (standard, article and item, e.g.
    "工贸企业重大事故隐患判定标准(应急管理部令第10号) 第十一条第3项"), the pack version and the ticked ids; adds a
    ``HazardTransition`` "determine" (status unchanged) whose comment carries the basis.  Returns the proposal (its
    ``warnings`` name ticked items whose wording is not CONFIRMED, and unfinished "并且" composites).

    Raises ``PermissionDenied`` (see ``can_determine``) and ``WorkplanError`` for ids not in the pack, a closed
    hazard, or a pack version that is no longer current (unless it is the version the hazard was judged by).

    Note: a hazard that becomes major is **not** listed for supervision here; the workflow service does that.
    """
    if not can_determine(user, hazard):
        raise PermissionDenied(_("只有隐患所在区县或其监管部门的操作员可以判定隐患等级"))
    locked = Hazard.objects.select_for_update(of=("self",)).select_related("region").get(pk=hazard.pk)
    if not locked.is_open:
        raise WorkplanError(_("已销号的隐患不能重新判定等级"))
    pack_model = DeterminationPack.objects.get(pk=pack_model.pk)  # its is_current as stored now
    if not pack_model.is_current and pack_model.pk != locked.determination_pack_id:
        raise WorkplanError(_("%(pack)s 已不是现行版本，请使用现行判定标准") % {"pack": pack_model})
    try:
        proposal = propose(pack_of(pack_model), ticked_ids)
    except PackError as exc:
        if exc.unknown_ids:
            raise WorkplanError(_("判定标准中没有以下条目: %(ids)s") % {"ids": "、".join(exc.unknown_ids)}) from exc
        raise WorkplanError(_("判定标准数据有误: %(error)s") % {"error": exc}) from exc
    old_grade = locked.get_grade_display()
    locked.grade = proposal.grade
    locked.basis = _fit(proposal.basis, 300)
    locked.determination_pack = pack_model
    locked.determination_items = proposal.ticked
    locked.save(update_fields=["grade", "basis", "determination_pack", "determination_items"])
    new_grade = locked.get_grade_display()
    text = _("判定为%(grade)s") % {"grade": new_grade}
    if old_grade != new_grade:
        text = _("由%(old)s改判为%(grade)s") % {"old": old_grade, "grade": new_grade}
    text += (_("，依据 %(basis)s") % {"basis": proposal.basis}) if proposal.grade == HazardGrade.MAJOR else \
        (_("，未勾选%(pack)s所列重大事故隐患情形") % {"pack": pack_model.title})
    if comment.strip():
        text += "\n" + comment.strip()
    HazardTransition.objects.create(hazard=locked, action=DETERMINE, from_status=locked.status,
                                    to_status=locked.status, comment=text,
                                    by=user if getattr(user, "pk", None) else None)
    for name in ("grade", "basis", "determination_pack", "determination_items"):
        setattr(hazard, name, getattr(locked, name))
    return proposal


def _fit(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"
