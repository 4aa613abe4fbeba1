"""Public tip-offs: submission without login, abuse resistance, follow-up by code, confidentiality of the reporter,
triage into a hazard, rewards under 《安全生产领域举报奖励办法》(2018), and scoping."""

import io
import re
import time
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.urls import reverse

from citysafe.hazards import tipoffs
from citysafe.hazards.errors import HazardError, PermissionDenied
from citysafe.hazards.models import Hazard, HazardSource, TipOff, TipOffStatus

YUZHONG = (106.57, 29.55)  # 渝中区 500103
WANZHOU = (108.38, 30.81)  # 万州区 500101
TEXT = "某工地脚手架未按规定搭设,工人高空作业未系安全带,存在坍塌和坠落风险。"


@pytest.fixture(autouse=True)
def _clear_rate_limits():
    cache.clear()
    yield
    cache.clear()


def _post_form(client, **overrides):
    data = {"description": TEXT, "address": "解放碑某工地", "lon": YUZHONG[0], "lat": YUZHONG[1],
            "anonymous": "on", "reporter_name": "", "reporter_phone": "", "website": "",
            "form_token": tipoffs.form_token(time.time() - 10)}
    data.update(overrides)
    data = {k: v for k, v in data.items() if v is not None}
    return client.post(reverse("tipoff:tipoff_form"), data)


def _submit(**overrides):
    kwargs = {"description": TEXT, "lon": YUZHONG[0], "lat": YUZHONG[1], "anonymous": True}
    kwargs.update(overrides)
    return tipoffs.submit_tip_off(**kwargs)


def _named(name="张三丰", phone="13812345678", **kw):
    return _submit(anonymous=False, reporter_name=name, reporter_phone=phone, **kw)


def _identity_user(username="handler"):
    from tests.conftest import make_user

    user = make_user(username, "municipal_admin", "市应急管理局")
    group, _ = Group.objects.get_or_create(name="举报受理")
    group.permissions.add(Permission.objects.get(codename="view_reporter_identity", content_type__app_label="hazards"))
    user.groups.add(group)
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(pk=user.pk)  # fresh: no cached permissions or roles


def _xlsx_text(response) -> str:
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(response.content))
    return "\n".join(str(c.value) for row in wb.active.iter_rows() for c in row if c.value is not None)


# --- public submission ---------------------------------------------------------------------------------------------

def _accepted(response) -> str | None:
    """The follow-up code shown in the answer, or None when the form was refused."""
    match = re.search(r'data-testid="follow-up-code">([A-Z0-9-]+)<', response.content.decode())
    return match.group(1) if match else None


def test_public_form_without_login_saves_and_shows_the_code_once(reference, client):
    page = client.get(reverse("tipoff:tipoff_form"))
    assert page.status_code == 200 and "form_token" in page.content.decode()
    token = tipoffs.form_token(time.time() - 10)
    response = _post_form(client, form_token=token)
    code = _accepted(response)
    assert response.status_code == 200 and code and "no-store" in response["Cache-Control"]
    assert len(tipoffs.normalize_code(code)) == tipoffs.FOLLOW_UP_LENGTH
    tip_off = TipOff.objects.get()
    assert tip_off.region.adcode == "500103" and tip_off.status == TipOffStatus.RECEIVED
    assert tip_off.follow_up_hash != code and len(tip_off.follow_up_hash) == 64
    assert tipoffs.status_for_code(code.lower().replace("-", ""))["code"] == tip_off.code
    # Shown once: a reload (the same form sent again) is refused and shows no code; nothing keeps the code.
    again = _post_form(client, form_token=token)
    assert _accepted(again) is None and "已提交过" in again.content.decode()
    assert TipOff.objects.count() == 1
    assert not client.session.items() or code not in repr(dict(client.session.items()))


def test_honeypot_is_refused_without_saving(reference, client):
    response = _post_form(client, website="http://spam.example")
    assert response.status_code == 200 and 'data-testid="tipoff-error"' in response.content.decode()
    assert not TipOff.objects.exists()


def test_too_fast_and_stale_forms_are_refused(reference, client):
    fast = _post_form(client, form_token=tipoffs.form_token())
    assert "提交过快" in fast.content.decode()
    stale = _post_form(client, form_token=tipoffs.form_token(time.time() - 3 * 3600))
    assert "表单已过期" in stale.content.decode()
    forged = _post_form(client, form_token="1234:abcd")
    assert "表单无效" in forged.content.decode()
    assert not TipOff.objects.exists()


def test_sixth_submission_within_an_hour_is_refused(reference, client):
    for _i in range(tipoffs.RATE_LIMIT_PER_HOUR):
        assert _accepted(_post_form(client))
    refused = _post_form(client)
    assert _accepted(refused) is None and "提交过于频繁" in refused.content.decode()
    assert TipOff.objects.count() == tipoffs.RATE_LIMIT_PER_HOUR
    # Another client (other User-Agent) is not affected.
    other = client.post(reverse("tipoff:tipoff_form"), {
        "description": TEXT, "anonymous": "on", "form_token": tipoffs.form_token(time.time() - 10)},
        HTTP_USER_AGENT="Another phone")
    assert _accepted(other)


def test_daily_limit(reference, monkeypatch):
    clock = [1_000_000.0]
    monkeypatch.setattr(tipoffs, "_clock", lambda: clock[0])
    for _i in range(tipoffs.RATE_LIMIT_PER_DAY):
        _submit(fingerprint="fp")
        clock[0] += 3600 / 2  # 2 per hour: under the hourly limit
    with pytest.raises(HazardError):
        _submit(fingerprint="fp")
    assert TipOff.objects.count() == tipoffs.RATE_LIMIT_PER_DAY
    clock[0] += 86400
    _submit(fingerprint="fp")


@pytest.mark.parametrize("kwargs, message", [
    ({"description": "太短了"}, "至少"),
    ({"description": "长" * 5001}, "不能超过"),
    ({"lon": 106.5, "lat": None}, "经纬度"),
    ({"lon": 200, "lat": 29.5}, "经纬度"),
    ({"anonymous": False, "reporter_name": "张三", "reporter_phone": ""}, "电话"),
    ({"anonymous": False, "reporter_name": "张三", "reporter_phone": "12345"}, "电话"),
    ({"anonymous": False, "reporter_name": "", "reporter_phone": "13812345678"}, "姓名"),
])
def test_submission_validation(reference, kwargs, message):
    with pytest.raises(HazardError, match=message):
        _submit(**kwargs)
    assert not TipOff.objects.exists()


def test_reachable_phones_are_accepted(reference):
    for phone in ["13812345678", "+86 138 1234 5678", "023-63888888", "(023)63888888", "010-12345678-123"]:
        tip_off, _code = _named(phone=phone)
        assert tip_off.reporter_phone


# --- follow-up -----------------------------------------------------------------------------------------------------

def test_follow_up_shows_status_and_never_the_reporter(reference, client, admin_user):
    tip_off, code = _named()
    tipoffs.reject_tip_off(user=admin_user, tip_off=tip_off, reply="经核查,该地点不属于安全生产监管范围。")
    result = tipoffs.status_for_code(code)
    assert set(result) == {"code", "status", "received_on", "reply"}
    assert result["status"] == "不予立案"
    page = client.post(reverse("tipoff:tipoff_status"), {"code": code})
    html = page.content.decode()
    assert page.status_code == 200 and "不予立案" in html and "不属于安全生产监管范围" in html
    for secret in ["张三丰", "张**", "13812345678", "138****5678", TEXT[:10]]:
        assert secret not in html


def test_wrong_code_is_not_found(reference, client):
    _submit()
    assert tipoffs.status_for_code("AAAA-BBBB-CCCC") is None
    assert tipoffs.status_for_code("") is None
    page = client.post(reverse("tipoff:tipoff_status"), {"code": "AAAA-BBBB-CCCC"})
    assert page.status_code == 404 and "未找到该查询码" in page.content.decode()


# --- confidentiality -----------------------------------------------------------------------------------------------

def test_anonymous_reporter_cannot_be_recovered_by_anyone(reference, client, admin_user, yuzhong):
    from django.db import connection

    name, phone = "李四维", "13987654321"
    tip_off, _code = _submit(anonymous=True, reporter_name=name, reporter_phone=phone, fingerprint="f" * 64)
    tipoffs.triage_to_hazard(user=admin_user, tip_off=tip_off, title="脚手架隐患")
    row = TipOff.objects.get(pk=tip_off.pk)
    assert (row.reporter_name, row.reporter_phone, row.client_fingerprint) == ("", "", "")
    # History excludes the reporter fields altogether.
    history_fields = {f.name for f in TipOff.history.model._meta.get_fields()}
    assert not history_fields & {"reporter_name", "reporter_phone", "client_fingerprint"}
    # Not in any table of the database (history, audit, hazards …).
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')
            dump = repr(cursor.fetchall())
            assert name not in dump and phone not in dump, table
    # Not on any page or export, whatever the role or permission.
    for user in [admin_user, yuzhong, _identity_user()]:
        assert tipoffs.reporter_identity(user, row)["name"] == "匿名"
        client.force_login(user)
        detail = client.get(reverse("hazards:tipoff_detail", args=[row.pk])).content.decode()
        assert "匿名" in detail and name not in detail and phone not in detail
        export = _xlsx_text(client.get(reverse("hazards:tipoff_export")))
        assert row.code in export and name not in export and phone not in export
        history = client.get(reverse("core:history", args=["hazards.TipOff", row.pk])).content.decode()
        assert name not in history and phone not in history
        schema = client.get("/api/v1/openapi.json").content.decode()
        assert "reporter_name" not in schema and "reporter_phone" not in schema


def test_named_reporter_is_masked_without_the_permission(reference, client, admin_user):
    tip_off, _code = _named()
    client.force_login(admin_user)
    detail = client.get(reverse("hazards:tipoff_detail", args=[tip_off.pk])).content.decode()
    assert "张**" in detail and "138****5678" in detail
    assert "张三丰" not in detail and "13812345678" not in detail
    export = _xlsx_text(client.get(reverse("hazards:tipoff_export")))
    assert "张**" in export and "138****5678" in export and "张三丰" not in export and "13812345678" not in export
    history = client.get(reverse("core:history", args=["hazards.TipOff", tip_off.pk])).content.decode()
    assert "张三丰" not in history and "13812345678" not in history

    handler = _identity_user()
    assert tipoffs.reporter_identity(handler, tip_off) == {"name": "张三丰", "phone": "13812345678",
                                                            "anonymous": False, "masked": False}
    client.force_login(handler)
    detail = client.get(reverse("hazards:tipoff_detail", args=[tip_off.pk])).content.decode()
    assert "张三丰" in detail and "13812345678" in detail
    export = _xlsx_text(client.get(reverse("hazards:tipoff_export")))
    assert "张三丰" in export and "13812345678" in export


def test_export_keeps_public_text_as_text(reference, client, admin_user):
    from openpyxl import load_workbook

    _submit(description='=HYPERLINK("http://evil.example","点我")' + "超过十个字的内容")
    client.force_login(admin_user)
    wb = load_workbook(io.BytesIO(client.get(reverse("hazards:tipoff_export")).content))
    cell = wb.active["I2"]
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")


# --- triage and workflow -------------------------------------------------------------------------------------------

def test_triage_creates_a_linked_tip_off_hazard(reference, client, admin_user):
    tip_off, code = _named()
    client.force_login(admin_user)
    response = client.post(reverse("hazards:tipoff_triage", args=[tip_off.pk]),
                           {"title": "脚手架搭设不规范", "grade": "general", "description": "脚手架未按规定搭设"})
    assert response.status_code == 302
    tip_off = TipOff.objects.get(pk=tip_off.pk)  # FSM status is protected
    hazard = tip_off.hazard
    assert tip_off.status == TipOffStatus.TRIAGED
    assert hazard.source == HazardSource.TIP_OFF and hazard.title == "脚手架搭设不规范"
    assert hazard.region.adcode == "500103" and (hazard.lon, hazard.lat) == YUZHONG
    assert list(hazard.tip_offs.all()) == [tip_off]
    assert TEXT not in hazard.description and "张三丰" not in hazard.found_by
    assert tipoffs.status_for_code(code)["status"] == "已转为隐患"


def test_full_workflow_and_reward(reference, client, admin_user):
    tip_off, _code = _named()
    tipoffs.triage_to_hazard(user=admin_user, tip_off=tip_off, title="脚手架隐患")
    tip_off = tipoffs.verify_tip_off(user=admin_user, tip_off=tip_off, fine_amount="100000", reply="查证属实,已依法处罚。")
    client.force_login(admin_user)
    detail = client.get(reverse("hazards:tipoff_detail", args=[tip_off.pk])).content.decode()
    assert 'data-testid="proposal-amount">15000<' in detail
    concealed = client.get(reverse("hazards:tipoff_detail", args=[tip_off.pk]),
                           {"kind": "concealed_accident", "concealed_deaths": 2, "accident_grade": "large"})
    assert 'data-testid="proposal-amount">80000<' in concealed.content.decode()
    amount, basis = tipoffs.propose_reward("hazard", tip_off.fine_amount)
    client.post(reverse("hazards:tipoff_reward", args=[tip_off.pk]), {"amount": str(amount), "basis": basis})
    tip_off = TipOff.objects.get(pk=tip_off.pk)  # FSM status is protected
    assert tip_off.status == TipOffStatus.REWARDED and tip_off.reward_amount == Decimal("15000")
    assert "15%" in tip_off.reward_basis and "2018" in tip_off.reward_basis


@pytest.mark.parametrize("fine, expected", [(0, 3000), (20000, 3000), (100000, 15000), (2000000, 300000),
                                            (20010, 3002), ("33333.33", 5000)])
def test_reward_for_hazard_and_illegal_production(fine, expected):
    for kind in ["hazard", "illegal_production"]:
        amount, basis = tipoffs.propose_reward(kind, fine_amount=fine)
        assert amount == Decimal(expected)
        assert "安全生产领域举报奖励办法" in basis


@pytest.mark.parametrize("deaths, grade, expected", [(2, "large", 80000), (10, "major", 300000), (1, "一般", 30000),
                                                     (5, "especially_major", 300000), (4, "较大", 160000)])
def test_reward_for_concealed_accidents(deaths, grade, expected):
    amount, _basis = tipoffs.propose_reward("concealed_accident", concealed_deaths=deaths, accident_grade=grade)
    assert amount == Decimal(expected)


@pytest.mark.parametrize("args", [("hazard", -1), ("hazard", None), ("hazard", "abc"), ("bribery", 1000)])
def test_reward_rejects_bad_input(args):
    with pytest.raises(HazardError):
        tipoffs.propose_reward(*args)
    with pytest.raises(HazardError):
        tipoffs.propose_reward("concealed_accident", concealed_deaths=0, accident_grade="large")
    with pytest.raises(HazardError):
        tipoffs.propose_reward("concealed_accident", concealed_deaths=2, accident_grade="huge")


def test_illegal_transitions_raise(reference, admin_user):
    tip_off, _code = _submit()
    with pytest.raises(HazardError, match="已受理"):
        tipoffs.verify_tip_off(user=admin_user, tip_off=tip_off, fine_amount=1000)
    with pytest.raises(HazardError):
        tipoffs.record_reward(user=admin_user, tip_off=tip_off, amount=3000, basis="x")
    with pytest.raises(HazardError, match="答复"):
        tipoffs.reject_tip_off(user=admin_user, tip_off=tip_off, reply="  ")
    tipoffs.triage_to_hazard(user=admin_user, tip_off=tip_off, title="隐患")
    with pytest.raises(HazardError, match="已转为隐患"):
        tipoffs.reject_tip_off(user=admin_user, tip_off=tip_off, reply="不予立案")
    with pytest.raises(HazardError):
        tipoffs.triage_to_hazard(user=admin_user, tip_off=tip_off, title="再转一次")
    assert Hazard.objects.filter(source=HazardSource.TIP_OFF).count() == 1
    with pytest.raises(HazardError, match="罚款"):
        tipoffs.verify_tip_off(user=admin_user, tip_off=tip_off, fine_amount=-5)
    tipoffs.verify_tip_off(user=admin_user, tip_off=tip_off, fine_amount=None)
    with pytest.raises(HazardError):
        tipoffs.record_reward(user=admin_user, tip_off=tip_off, amount=300001, basis="x")
    with pytest.raises(HazardError):
        tipoffs.record_reward(user=admin_user, tip_off=tip_off, amount=3000, basis="")
    tipoffs.record_reward(user=admin_user, tip_off=tip_off, amount=3000, basis="依据")
    with pytest.raises(HazardError):
        tipoffs.record_reward(user=admin_user, tip_off=tip_off, amount=3000, basis="依据")


# --- scoping -------------------------------------------------------------------------------------------------------

def test_district_operator_sees_only_own_district(reference, client, yuzhong, wanzhou, viewer):
    ours, _c = _submit()
    theirs, _c = _submit(lon=WANZHOU[0], lat=WANZHOU[1])
    assert theirs.region.adcode == "500101"
    assert list(tipoffs.visible_tip_offs(yuzhong)) == [ours]
    client.force_login(wanzhou)
    listing = client.get(reverse("hazards:tipoff_list")).content.decode()
    assert theirs.code in listing and ours.code not in listing
    assert client.get(reverse("hazards:tipoff_detail", args=[ours.pk])).status_code == 404
    assert ours.code not in _xlsx_text(client.get(reverse("hazards:tipoff_export")))
    client.post(reverse("hazards:tipoff_reject", args=[ours.pk]), {"reply": "不予立案"})
    ours = TipOff.objects.get(pk=ours.pk)  # FSM status is protected
    assert ours.status == TipOffStatus.RECEIVED
    with pytest.raises(PermissionDenied):
        tipoffs.triage_to_hazard(user=wanzhou, tip_off=ours, title="越权")
    with pytest.raises(PermissionDenied):
        tipoffs.reject_tip_off(user=viewer, tip_off=ours, reply="只读用户")
    hazard = tipoffs.triage_to_hazard(user=yuzhong, tip_off=ours, title="本辖区隐患")
    assert hazard.region.adcode == "500103"


def test_staff_pages_need_login(reference, client):
    tip_off, _code = _submit()
    for url in [reverse("hazards:tipoff_list"), reverse("hazards:tipoff_detail", args=[tip_off.pk]),
                reverse("hazards:tipoff_export")]:
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response.url
