"""Public tip-offs (举报): submission without login, follow-up by a secret code, triage into a hazard, rejection,
verification and the reward (举报奖励) under 《安全生产领域举报奖励办法》(2018).

Confidentiality (standards-safety.md §7; 2012 rules confirmed, 2018 wording expected similar):

* an **anonymous** tip-off stores no name and no phone at all, and no client fingerprint either, so no role, no
  export and no history table can ever recover the reporter;
* a named reporter's identity is shown only to users holding ``hazards.view_reporter_identity``; everyone else sees
  it masked (``core.privacy``).  Nobody holds that permission by default (superusers aside): administrators grant
  it explicitly, e.g. to a "举报受理" group of the few staff who call reporters back;
* ``TipOff.history`` excludes the reporter fields and the fingerprint;
* the follow-up code is shown to the reporter once, in the answer to the form (never in a URL, a session or a log),
  and stored only as its SHA-256 (``follow_up_hash``); the public
  status page shows the tip-off number, status, date received and the public reply, nothing else;
* triage does not copy the report text into the hazard (which the responsible enterprise may read): the handler
  writes the hazard's description, leaving out anything that could expose the reporter.

Abuse resistance without CAPTCHA (policy defaults of this platform, not regulation; tune them here):

* a honeypot field that people never see and bots fill in;
* a signed form-render timestamp (``django.core.signing``): a form sent back less than ``FORM_MIN_SECONDS`` after
  it was rendered (a script) or more than ``FORM_MAX_SECONDS`` (a stale form) is refused, and each rendered form
  is accepted once (replays and reloads are refused);
* a rate limit per client fingerprint (keyed SHA-256 of IP address and User-Agent) kept in Django's cache:
  ``RATE_LIMIT_PER_HOUR`` / ``RATE_LIMIT_PER_DAY`` accepted submissions, sliding windows.  The default local-memory
  cache is per process: production with several web processes should configure a shared cache (Redis, database
  cache) in ``CACHES`` so the limits and single-use forms hold across processes.  The IP is ``REMOTE_ADDR``: behind a reverse proxy,
  the proxy must pass the client address there (``X-Forwarded-For`` is not trusted, it can be forged).
"""

import datetime as dt
import hashlib
import re
import secrets
import time
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core import signing
from django.core.cache import cache
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_fsm import TransitionNotAllowed

from citysafe.core.audit import audited
from citysafe.core.geo import region_at, valid_lon_lat
from citysafe.core.privacy import mask_name, mask_phone
from citysafe.core.roles import can_write, is_enterprise

from . import services
from .errors import HazardError, PermissionDenied
from .models import HazardGrade, HazardSource, Industry, TipOff, TipOffStatus
from .selectors import tip_offs_for

# --- policy defaults (this platform's choice, not regulation) ----------------------------------------------------

DESCRIPTION_MIN = 10
DESCRIPTION_MAX = 5000
FORM_MIN_SECONDS = 3  # a person needs longer than this to fill in the form
FORM_MAX_SECONDS = 2 * 3600  # older forms are stale or replayed
RATE_LIMIT_PER_HOUR = 5  # accepted submissions per client fingerprint
RATE_LIMIT_PER_DAY = 20
STATUS_LOOKUPS_PER_HOUR = 30  # follow-up lookups per client fingerprint (the code space is 2**60 anyway)

# Follow-up code: 12 characters from 32 unambiguous ones (no 0/O, 1/I), 60 bits from ``secrets``; shown as
# XXXX-XXXX-XXXX, compared case- and separator-insensitively.
FOLLOW_UP_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
FOLLOW_UP_LENGTH = 12

HONEYPOT_FIELD = "website"  # looks tempting to a bot, hidden from people
_FORM_SALT = "citysafe.hazards.tipoff.form"
_RATE_PREFIX = "citysafe:tipoff:rate:"

# A reachable phone: mainland mobile (11 digits, 13..19) or a landline with area code (010-12345678, 023 6388 8888),
# optionally with an extension; spaces and brackets are dropped first.  Short service numbers are not accepted.
_PHONE_RE = re.compile(r"^(?:\+?86-?)?(?:1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(?:-\d{1,6})?)$")

# --- rewards: 《安全生产领域举报奖励办法》(2018) ---------------------------------------------------------------------

REWARD_RATE = Decimal("0.15")
"""重大事故隐患 / 安全生产违法行为 (illegal production, operation or construction): 15% of the administrative fine
(standards-safety.md §7, CONFIRMED [S16a][S16c])."""
REWARD_FLOOR = Decimal("3000")
"""Minimum reward for a hazard or violation tip-off: 3,000 元 (CONFIRMED)."""
REWARD_CEILING = Decimal("300000")
"""Maximum reward for one tip-off, also the cap of the concealment reward: 300,000 元 (CONFIRMED)."""
CONCEALMENT_PER_DEATH = {
    "ordinary": Decimal("30000"),  # 一般事故
    "large": Decimal("40000"),  # 较大事故
    "major": Decimal("50000"),  # 重大事故
    "especially_major": Decimal("60000"),  # 特别重大事故
}
"""瞒报 / 谎报 accidents: per verified concealed or falsely-reported death, by the **finally confirmed** accident
grade (CONFIRMED [S16a][S16c]); the total is capped at ``REWARD_CEILING``."""

ACCIDENT_GRADES = {
    "ordinary": gettext_lazy("一般事故"),
    "large": gettext_lazy("较大事故"),
    "major": gettext_lazy("重大事故"),
    "especially_major": gettext_lazy("特别重大事故"),
}
_GRADE_ALIASES = {"一般": "ordinary", "较大": "large", "重大": "major", "特别重大": "especially_major",
                  "IV": "ordinary", "III": "large", "II": "major", "I": "especially_major"}

REWARD_KINDS = {
    "hazard": gettext_lazy("重大事故隐患"),
    "illegal_production": gettext_lazy("违法生产经营建设行为"),
    "concealed_accident": gettext_lazy("瞒报、谎报事故"),
}

REWARD_DOCUMENT = "《安全生产领域举报奖励办法》(2018)"
"""Issued jointly by 国家安全监管总局 and 财政部 in 2018; number given as 安监总财〔2018〕19号 (prefix UNCONFIRMED).

UNCONFIRMED points (standards-safety.md §7), decided here and visible in every basis text:
* rounding of 15% of the fine: rounded half-up to whole yuan;
* a fine of 0 still yields the 3,000 元 floor (the rule states a minimum without an exception for no fine);
* +20% for an employee reporting their own employer, "一般违法行为 min 200元": unreliable, not implemented;
* Chongqing local implementing rules: unknown, not implemented;
* duplicates (one reward, to the first accepted report) and joint reports are left to the handler.
"""


def _yuan(value: Decimal) -> str:
    """"1,234" for whole yuan, "1,234.50" otherwise."""
    return f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.2f}"


def propose_reward(kind: str, fine_amount=None, concealed_deaths=None, accident_grade=None) -> tuple[Decimal, str]:
    """(amount in 元, basis text) proposed under 《安全生产领域举报奖励办法》(2018).

    * ``kind`` "hazard" (重大事故隐患) or "illegal_production" (违法生产经营建设): ``clamp(15% × fine, 3,000,
      300,000)``, 15% rounded half-up to whole yuan (rounding UNCONFIRMED);
    * ``kind`` "concealed_accident" (瞒报/谎报事故): ``min(per death(grade) × deaths, 300,000)`` with ``accident_grade``
      one of ordinary/large/major/especially_major (or 一般/较大/重大/特别重大), the finally confirmed grade.

    Raises HazardError for an unknown kind or grade, a negative fine, or a death count below 1.
    """
    if kind in {"hazard", "illegal_production"}:
        try:
            fine = Decimal(str(fine_amount)) if fine_amount is not None else None
        except InvalidOperation:
            fine = None
        if fine is None or not fine.is_finite() or fine < 0:
            raise HazardError(_("请填写有效的罚款金额"))
        raw = (fine * REWARD_RATE).quantize(Decimal("1"), rounding=ROUND_HALF_UP)
        amount = min(max(raw, REWARD_FLOOR), REWARD_CEILING)
        note = ""
        if raw < REWARD_FLOOR:
            note = _(",按最低 %(v)s 元") % {"v": _yuan(REWARD_FLOOR)}
        elif raw > REWARD_CEILING:
            note = _(",按最高 %(v)s 元") % {"v": _yuan(REWARD_CEILING)}
        basis = _("%(doc)s %(kind)s: 罚款 %(fine)s 元 × 15%% = %(raw)s 元(四舍五入到元)%(note)s") % {
            "doc": REWARD_DOCUMENT, "kind": REWARD_KINDS[kind], "fine": _yuan(fine), "raw": _yuan(raw), "note": note}
        return amount, basis
    if kind == "concealed_accident":
        grade = _GRADE_ALIASES.get(str(accident_grade or "").strip(), str(accident_grade or "").strip())
        if grade not in CONCEALMENT_PER_DEATH:
            raise HazardError(_("请选择核定的事故等级"))
        try:
            deaths = int(concealed_deaths)
        except (TypeError, ValueError):
            deaths = 0
        if deaths < 1:
            raise HazardError(_("瞒报、谎报死亡人数至少为 1"))
        per = CONCEALMENT_PER_DEATH[grade]
        raw = per * deaths
        amount = min(raw, REWARD_CEILING)
        note = _(",按最高 %(v)s 元") % {"v": _yuan(REWARD_CEILING)} if raw > REWARD_CEILING else ""
        basis = _("%(doc)s 瞒报、谎报%(grade)s: %(n)s 人 × %(per)s 元 = %(raw)s 元%(note)s") % {
            "doc": REWARD_DOCUMENT, "grade": ACCIDENT_GRADES[grade], "n": deaths, "per": _yuan(per),
            "raw": _yuan(raw), "note": note}
        return amount, basis
    raise HazardError(_("未知的奖励类型: %(kind)s") % {"kind": kind})


# --- abuse resistance --------------------------------------------------------------------------------------------

def _clock() -> float:
    """Seconds since the epoch (a seam for tests)."""
    return time.time()


def form_token(issued_at: float | None = None) -> str:
    """A signed, single-use render timestamp for the public form (``issued_at`` only for tests)."""
    return signing.dumps({"t": int(issued_at if issued_at is not None else _clock()), "n": secrets.token_hex(8)},
                         salt=_FORM_SALT)


def check_form(token: str, honeypot: str = "") -> None:
    """Refuse a filled honeypot, a forged, too fast (< FORM_MIN_SECONDS), stale (> FORM_MAX_SECONDS) or already
    used form.  A form is used once: sending it again (a reload of the answer page, a replay) is refused."""
    if (honeypot or "").strip():
        raise HazardError(_("提交未通过校验,请刷新页面后重新填写。"))
    try:
        issued = int(signing.loads(token or "", salt=_FORM_SALT)["t"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise HazardError(_("表单无效,请刷新页面后重新填写。")) from None
    age = _clock() - issued
    if age < FORM_MIN_SECONDS:
        raise HazardError(_("提交过快,请核对内容后再次提交。"))
    if age > FORM_MAX_SECONDS:
        raise HazardError(_("表单已过期,请刷新页面后重新填写。"))
    used = _RATE_PREFIX + "form:" + hashlib.sha256(token.encode()).hexdigest()
    if not cache.add(used, 1, timeout=FORM_MAX_SECONDS + 60):
        raise HazardError(_("该表单已提交过。如需再次举报,请重新打开举报页面。"))


def client_fingerprint(ip: str, user_agent: str) -> str:
    """Keyed SHA-256 (HMAC with SECRET_KEY) of IP address and User-Agent, 64 hex characters.

    Keyed, because a plain SHA-256 of an IPv4 address and a common User-Agent can be reversed by trying them all.
    """
    return salted_hmac("citysafe.tipoff.fingerprint", f"{ip or ''}\n{user_agent or ''}",
                       algorithm="sha256").hexdigest()


def request_fingerprint(request) -> str:
    return client_fingerprint(request.META.get("REMOTE_ADDR", ""), request.META.get("HTTP_USER_AGENT", ""))


def _take_slot(key: str, limits: list[tuple[int, int]], message: str) -> None:
    """Sliding-window limit in the cache: refuse when any (window seconds, max count) is reached, else count one.

    Not atomic across processes (get then set): under a burst of parallel requests the limit may be exceeded by a
    few; it is a brake on abuse, not an accounting.
    """
    now = _clock()
    longest = max(window for window, _n in limits)
    stamps = [t for t in cache.get(key, []) if t > now - longest]
    for window, count in limits:
        if sum(1 for t in stamps if t > now - window) >= count:
            raise HazardError(message)
    stamps.append(now)
    cache.set(key, stamps, timeout=longest)


def check_status_lookup_rate(fingerprint: str) -> None:
    if fingerprint:
        _take_slot(f"{_RATE_PREFIX}status:{fingerprint}", [(3600, STATUS_LOOKUPS_PER_HOUR)],
                   _("查询过于频繁,请稍后再试。"))


# --- reads ---------------------------------------------------------------------------------------------------------

def visible_tip_offs(user) -> QuerySet:
    """Tip-offs the user may see: ``tip_offs_for`` — never for an enterprise's own operators (a tip-off may be
    about their enterprise)."""
    if not user.is_authenticated or is_enterprise(user):
        return TipOff.objects.none()
    return tip_offs_for(user)


def reporter_identity(user, tip_off: TipOff) -> dict:
    """{"name", "phone", "anonymous", "masked"}: real only with ``hazards.view_reporter_identity``, else masked;
    "匿名" for an anonymous tip-off (nothing is stored to reveal)."""
    if tip_off.anonymous:
        return {"name": _("匿名"), "phone": "", "anonymous": True, "masked": False}
    if user.is_authenticated and user.has_perm("hazards.view_reporter_identity"):
        return {"name": tip_off.reporter_name, "phone": tip_off.reporter_phone, "anonymous": False, "masked": False}
    return {"name": mask_name(tip_off.reporter_name), "phone": mask_phone(tip_off.reporter_phone),
            "anonymous": False, "masked": True}


def normalize_code(code: str) -> str:
    return re.sub(r"[\s\-]", "", code or "").upper()


def format_code(code: str) -> str:
    code = normalize_code(code)
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def _hash_code(code: str) -> str:
    return hashlib.sha256(normalize_code(code).encode()).hexdigest()


def status_for_code(code: str) -> dict | None:
    """Public view of a tip-off by its follow-up code: {code, status, received_on, reply}; None if no such code."""
    normalized = normalize_code(code)
    if len(normalized) != FOLLOW_UP_LENGTH or any(c not in FOLLOW_UP_ALPHABET for c in normalized):
        return None
    tip_off = TipOff.objects.filter(follow_up_hash=_hash_code(normalized)).only(
        "code", "status", "received_at", "public_reply").first()
    if tip_off is None:
        return None
    return {"code": tip_off.code, "status": str(tip_off.get_status_display()),
            "received_on": timezone.localdate(tip_off.received_at), "reply": tip_off.public_reply}


# --- writes --------------------------------------------------------------------------------------------------------

def _float_or_none(value, label):
    if value in (None, ""):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise HazardError(_("%(label)s无效") % {"label": label}) from None


@audited
@transaction.atomic
def submit_tip_off(*, description: str, address: str = "", lon=None, lat=None, industry: Industry | None = None,
                   anonymous: bool, reporter_name: str = "", reporter_phone: str = "",
                   fingerprint: str = "") -> tuple[TipOff, str]:
    """Receive a public tip-off; returns (tip-off, follow-up code).  The code is not stored: show it once.

    Validates the text (``DESCRIPTION_MIN``..``DESCRIPTION_MAX`` characters), the location (both coordinates or
    none, WGS84 range) and, for a named tip-off, a name and a reachable phone (mainland mobile or landline with
    area code).  An anonymous tip-off keeps no name, phone or fingerprint even if given.  The district is routed
    from the location.  With a ``fingerprint`` the per-client rate limit applies (HazardError when exceeded, and
    nothing is saved).
    """
    description = (description or "").strip()
    if len(description) < DESCRIPTION_MIN:
        raise HazardError(_("请详细描述举报内容(至少 %(n)s 个字)") % {"n": DESCRIPTION_MIN})
    if len(description) > DESCRIPTION_MAX:
        raise HazardError(_("举报内容不能超过 %(n)s 个字") % {"n": DESCRIPTION_MAX})
    address = (address or "").strip()
    if len(address) > 300:
        raise HazardError(_("地点不能超过 300 个字"))
    lon, lat = _float_or_none(lon, _("经度")), _float_or_none(lat, _("纬度"))
    if (lon is None) != (lat is None) or (lon is not None and not valid_lon_lat(lon, lat)):
        raise HazardError(_("经纬度无效"))
    if anonymous:
        reporter_name = reporter_phone = fingerprint_to_store = ""
    else:
        reporter_name = (reporter_name or "").strip()
        reporter_phone = re.sub(r"[\s()()]", "", reporter_phone or "")
        if not reporter_name or len(reporter_name) > 50:
            raise HazardError(_("实名举报请填写姓名(不超过 50 个字)"))
        if not _PHONE_RE.match(reporter_phone):
            raise HazardError(_("请填写能联系到您的手机号码或带区号的固定电话"))
        fingerprint_to_store = fingerprint
    if fingerprint:
        _take_slot(_RATE_PREFIX + fingerprint, [(3600, RATE_LIMIT_PER_HOUR), (86400, RATE_LIMIT_PER_DAY)],
                   _("提交过于频繁,请稍后再试。紧急情况请拨打 12350 安全生产举报热线。"))
    code = "".join(secrets.choice(FOLLOW_UP_ALPHABET) for _i in range(FOLLOW_UP_LENGTH))
    tip_off = TipOff.objects.create(
        code=services.new_code("JB"), description=description, address=address, lon=lon, lat=lat,
        region=region_at(lon, lat), industry=industry, anonymous=bool(anonymous), reporter_name=reporter_name,
        reporter_phone=reporter_phone, follow_up_hash=_hash_code(code), client_fingerprint=fingerprint_to_store)
    return tip_off, format_code(code)


def _lock(user, tip_off: TipOff) -> TipOff:
    """The tip-off, locked, if the user may handle it (a writer who sees it); else PermissionDenied."""
    if user is None or not can_write(user) or not visible_tip_offs(user).filter(pk=tip_off.pk).exists():
        raise PermissionDenied(_("无权处理该举报"))
    return TipOff.objects.select_for_update().get(pk=tip_off.pk)


def _step(tip_off: TipOff, method: str) -> None:
    try:
        getattr(tip_off, method)()
    except TransitionNotAllowed:
        raise HazardError(_("举报当前状态「%(state)s」下不能执行此操作") % {"state": tip_off.get_status_display()}) \
            from None


@audited
@transaction.atomic
def triage_to_hazard(*, user, tip_off: TipOff, title: str, grade: str = HazardGrade.GENERAL,
                     industry: Industry | None = None, deadline: dt.date | None = None, comment: str = "",
                     description: str = ""):
    """Turn a received tip-off into a hazard (source 群众举报), link it, and mark the tip-off triaged.

    The hazard takes the location, district and sector of the tip-off (``industry`` overrides); ``description`` is
    what the handler writes for the hazard — the report text is not copied, as the responsible unit reads the
    hazard.  ``comment`` is kept as the reason on the tip-off's history.  Returns the hazard.
    """
    tip_off = _lock(user, tip_off)
    _step(tip_off, "to_hazard")
    if grade not in HazardGrade.values:
        raise HazardError(_("隐患等级无效"))
    hazard = services.create_hazard(
        user=user, title=title, source=HazardSource.TIP_OFF, description=(description or "").strip(),
        lon=tip_off.lon, lat=tip_off.lat, address=tip_off.address, region=tip_off.region,
        industry=industry or tip_off.industry, grade=grade, deadline=deadline, found_at=tip_off.received_at,
        found_by=_("群众举报 %(code)s") % {"code": tip_off.code})
    tip_off.hazard = hazard
    if industry and not tip_off.industry_id:
        tip_off.industry = industry
    tip_off._change_reason = (comment or "")[:100]
    tip_off.save()
    return hazard


@audited
@transaction.atomic
def reject_tip_off(*, user, tip_off: TipOff, reply: str) -> TipOff:
    """Do not act on a received tip-off; the reply (the reason, shown to the reporter) is required."""
    tip_off = _lock(user, tip_off)
    if not (reply or "").strip():
        raise HazardError(_("不予立案时请填写给举报人的答复"))
    _step(tip_off, "reject")
    tip_off.public_reply = reply.strip()
    tip_off.save()
    return tip_off


@audited
@transaction.atomic
def verify_tip_off(*, user, tip_off: TipOff, fine_amount, reply: str = "") -> TipOff:
    """The investigation of a triaged tip-off confirmed it; record the administrative fine (元, may be None when no
    fine applies, e.g. a concealed accident) and optionally a public reply."""
    tip_off = _lock(user, tip_off)
    if fine_amount not in (None, ""):
        try:
            fine_amount = Decimal(str(fine_amount))
        except InvalidOperation:
            fine_amount = None
        if fine_amount is None or not fine_amount.is_finite() or fine_amount < 0 or fine_amount >= 10 ** 10:
            raise HazardError(_("请填写有效的罚款金额"))
    else:
        fine_amount = None
    _step(tip_off, "verify")
    tip_off.fine_amount = fine_amount
    if (reply or "").strip():
        tip_off.public_reply = reply.strip()
    tip_off.save()
    return tip_off


@audited
@transaction.atomic
def record_reward(*, user, tip_off: TipOff, amount, basis: str) -> TipOff:
    """Record the reward decided for a verified tip-off (usually ``propose_reward``'s, adjusted by the handler for
    duplicates or joint reports).  0 < amount <= REWARD_CEILING, basis required."""
    tip_off = _lock(user, tip_off)
    try:
        amount = Decimal(str(amount))
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite() or amount <= 0 or amount > REWARD_CEILING:
        raise HazardError(_("奖励金额应大于 0 且不超过 %(max)s 元") % {"max": _yuan(REWARD_CEILING)})
    if not (basis or "").strip():
        raise HazardError(_("请填写奖励依据"))
    _step(tip_off, "reward")
    tip_off.reward_amount = amount.quantize(Decimal("0.01"))
    tip_off.reward_basis = basis.strip()[:300]
    tip_off.save()
    return tip_off


__all__ = ["TipOffStatus", "propose_reward", "submit_tip_off", "status_for_code", "triage_to_hazard",
           "reject_tip_off", "verify_tip_off", "record_reward", "reporter_identity", "visible_tip_offs"]
