"""The closed loop: routing, transitions with who/when/comment, major hazards under listed supervision."""

import datetime as dt

import pytest
from django.utils import timezone

from citysafe.core.models import Region
from citysafe.hazards import services
from citysafe.hazards.errors import HazardError, PermissionDenied
from citysafe.hazards.models import Hazard, HazardStatus, Industry

YUZHONG = (106.57, 29.555)  # inside 渝中区 (WGS84)
WANZHOU = (108.40, 30.80)   # inside 万州区


@pytest.fixture
def industry(reference):
    return Industry.objects.get(code="industry")  # 工业领域 -> 市应急管理局


def _hazard(user, industry, grade="general", where=YUZHONG, **extra):
    return services.create_hazard(user=user, title="除尘系统未设置泄爆装置", source="government_inspection",
                                  lon=where[0], lat=where[1], industry=industry, grade=grade, **extra)


def test_routing_by_location_and_industry(admin_user, industry, enterprise):
    hazard = _hazard(admin_user, industry, enterprise=enterprise)
    assert hazard.status == HazardStatus.REPORTED
    assert hazard.region.adcode == "500103"
    assert hazard.supervising_department.name == "市应急管理局"
    assert hazard.responsible_unit == enterprise
    assert hazard.transitions.get().action == "create"


def test_gbt4754_code_routes_to_the_sector(admin_user):
    hazard = services.create_hazard(user=admin_user, title="储罐区紧急切断阀未投用", source="self_inspection",
                                    lon=YUZHONG[0], lat=YUZHONG[1], gbt4754_code="C2614")
    assert hazard.industry.code == "hazardous_chemicals"  # longest prefix C26 beats C (工业)


def test_unroutable_hazard_lands_in_triage_and_is_routed_by_hand(admin_user):
    hazard = services.create_hazard(user=admin_user, title="来源不明的隐患", source="grid_patrol",
                                    lon=100.0, lat=40.0)  # outside Chongqing, no industry
    assert hazard.status == HazardStatus.TRIAGE and "区县" in hazard.triage_reason
    routed = services.transition_hazard(user=admin_user, hazard=hazard, action="route",
                                        region=Region.objects.get(adcode="500101"),
                                        industry=Industry.objects.get(code="fire"), comment="人工分派")
    assert routed.status == HazardStatus.REPORTED
    assert routed.supervising_department.name == "市消防救援局" and routed.triage_reason == ""


def test_full_loop_with_rejection_records_who_when_and_why(admin_user, industry, enterprise, enterprise_user):
    hazard = _hazard(admin_user, industry, enterprise=enterprise)
    deadline = timezone.localdate() + dt.timedelta(days=15)
    services.transition_hazard(user=admin_user, hazard=hazard, action="assign", deadline=deadline, comment="限期整改")
    services.transition_hazard(user=enterprise_user, hazard=hazard, action="start")
    services.transition_hazard(user=enterprise_user, hazard=hazard, action="submit", measures="加装泄爆片")
    with pytest.raises(HazardError):
        services.transition_hazard(user=admin_user, hazard=hazard, action="reject")  # a reason is required
    services.transition_hazard(user=admin_user, hazard=hazard, action="reject", comment="泄爆面积不足")
    services.transition_hazard(user=enterprise_user, hazard=hazard, action="submit", measures="增大泄爆面积")
    done = services.transition_hazard(user=enterprise_user, hazard=hazard, action="accept", comment="自查验收")
    assert done.status == HazardStatus.ACCEPTED and done.closed_at is not None
    steps = list(done.transitions.values_list("action", "from_status", "to_status", "by__username"))
    assert steps == [("create", "", "reported", "cityadmin"), ("assign", "reported", "assigned", "cityadmin"),
                     ("start", "assigned", "rectifying", "qiye"), ("submit", "rectifying", "submitted", "qiye"),
                     ("reject", "submitted", "rectifying", "cityadmin"), ("submit", "rectifying", "submitted", "qiye"),
                     ("accept", "submitted", "accepted", "qiye")]
    assert done.history.first().history_user == enterprise_user


def test_illegal_transition_names_the_state(admin_user, industry):
    hazard = _hazard(admin_user, industry)
    with pytest.raises(HazardError, match="已登记"):
        services.transition_hazard(user=admin_user, hazard=hazard, action="accept")
    assert Hazard.objects.get(pk=hazard.pk).status == HazardStatus.REPORTED


def test_major_hazard_is_listed_for_supervision_and_closed_only_by_the_department(
        admin_user, industry, enterprise, enterprise_user, fire_dept, reference):
    hazard = _hazard(admin_user, industry, grade="major", enterprise=enterprise,
                     basis="工贸企业重大事故隐患判定标准 第十一条")
    assert hazard.supervision is not None and hazard.supervision.status == "open"
    assert hazard.supervision.owner == enterprise and hazard.deadline is not None
    services.transition_hazard(user=admin_user, hazard=hazard, action="assign")
    services.transition_hazard(user=enterprise_user, hazard=hazard, action="start")
    services.transition_hazard(user=enterprise_user, hazard=hazard, action="submit")
    with pytest.raises(PermissionDenied):  # the enterprise cannot accept its own major hazard
        services.transition_hazard(user=enterprise_user, hazard=hazard, action="accept")
    with pytest.raises(PermissionDenied):  # nor can an unrelated department
        services.transition_hazard(user=fire_dept, hazard=hazard, action="accept")
    from tests.conftest import make_user

    safety_bureau = make_user("anjian", "department_operator", "市应急管理局")
    done = services.transition_hazard(user=safety_bureau, hazard=hazard, action="accept", comment="验收合格")
    assert done.status == HazardStatus.ACCEPTED
    done.supervision.refresh_from_db()
    assert done.supervision.status == "closed"


def test_enterprise_cannot_assign_or_extend(admin_user, industry, enterprise, enterprise_user):
    hazard = _hazard(admin_user, industry, enterprise=enterprise)
    with pytest.raises(PermissionDenied):
        services.transition_hazard(user=enterprise_user, hazard=hazard, action="assign",
                                   deadline=timezone.localdate() + dt.timedelta(days=3))
    with pytest.raises(PermissionDenied):
        services.extend_deadline(user=enterprise_user, hazard=hazard, new_deadline=dt.date(2030, 1, 1), reason="x")


def test_deadline_extension_is_recorded_and_overdue_is_derived(admin_user, industry):
    past = timezone.localdate() - dt.timedelta(days=1)
    hazard = _hazard(admin_user, industry, deadline=past, found_at=timezone.now() - dt.timedelta(days=10))
    assert hazard.is_overdue
    new = timezone.localdate() + dt.timedelta(days=20)
    extension = services.extend_deadline(user=admin_user, hazard=hazard, new_deadline=new, reason="设备到货延迟")
    hazard.refresh_from_db(fields=["deadline"])
    assert (extension.old_deadline, extension.new_deadline, hazard.deadline) == (past, new, new)
    assert not Hazard.objects.get(pk=hazard.pk).is_overdue
    with pytest.raises(HazardError):
        services.extend_deadline(user=admin_user, hazard=hazard, new_deadline=new, reason="再延")


@pytest.mark.parametrize("_case, fields, message", [
    ("empty title", {"title": " "}, "名称"),
    ("bad coordinates", {"lon": 500.0, "lat": 29.0}, "经纬度"),
    ("half a coordinate", {"lon": 106.5, "lat": None}, "经纬度"),
    ("deadline before finding", {"deadline": dt.date(2020, 1, 1)}, "期限"),
])
def test_bad_input_is_refused_and_nothing_saved(admin_user, _case, fields, message):
    base = {"title": "隐患", "source": "self_inspection", "lon": YUZHONG[0], "lat": YUZHONG[1]}
    with pytest.raises(HazardError, match=message):
        services.create_hazard(user=admin_user, **{**base, **fields})
    assert not Hazard.objects.exists()


def test_district_operator_registers_only_in_their_district(yuzhong, industry):
    _hazard(yuzhong, industry)
    with pytest.raises(PermissionDenied):
        _hazard(yuzhong, industry, where=WANZHOU)
    assert Hazard.objects.count() == 1


def test_viewer_cannot_register(viewer, industry):
    with pytest.raises(PermissionDenied):
        _hazard(viewer, industry)




def test_district_cannot_hand_a_hazard_to_another_districts_unit(yuzhong, industry):
    from citysafe.core.models import Organization

    hazard = _hazard(yuzhong, industry)
    other = Organization.objects.create(name="万州区某化工公司", kind="enterprise",
                                        region=Region.objects.get(adcode="500101"))
    with pytest.raises(PermissionDenied):
        services.transition_hazard(user=yuzhong, hazard=hazard, action="assign", responsible_unit=other,
                                   deadline=timezone.localdate() + dt.timedelta(days=5))
    own = Organization.objects.create(name="渝中区某商场", kind="enterprise", region=Region.objects.get(adcode="500103"))
    done = services.transition_hazard(user=yuzhong, hazard=hazard, action="assign", responsible_unit=own,
                                      deadline=timezone.localdate() + dt.timedelta(days=5))
    assert done.responsible_unit == own


def test_hazard_without_location_lands_in_the_registrars_district(yuzhong, industry):
    hazard = services.create_hazard(user=yuzhong, title="楼道堆放杂物", source="grid_patrol", industry=industry)
    assert hazard.region.adcode == "500103" and hazard.status == HazardStatus.REPORTED


def test_absurd_deadline_is_refused(admin_user, industry):
    with pytest.raises(HazardError, match="过远"):
        _hazard(admin_user, industry, deadline=dt.date(9999, 12, 31))
