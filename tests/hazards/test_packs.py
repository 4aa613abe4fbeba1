"""Determination packs in the database and ``confirm_determination`` (versioning, audit, permissions)."""

import json

import pytest

from citysafe.core.models import Organization, Region
from citysafe.hazards.determination import PackError
from citysafe.hazards.models import DeterminationPack, Hazard, HazardStatus
from citysafe.hazards.packs import DEFAULT_DIRECTORY, confirm_determination, current_packs, load_packs, pack_of
from citysafe.workplans.errors import PermissionDenied, WorkplanError

GONGMAO = "工贸企业重大事故隐患判定标准(应急管理部令第10号)"


def make_hazard(code="YH-T-1", adcode="500103", **fields):
    return Hazard.objects.create(code=code, title="除尘系统无泄爆装置", source="government_inspection",
                                 region=Region.objects.get(adcode=adcode), **fields)


def write_pack(directory, name, version, effective_from, text="干式除尘系统未采取任何爆炸防控措施"):
    pack = {"code": "demo", "version": version, "title": "演示判定标准", "document": f"演示令{version}号",
            "effective_from": effective_from,
            "articles": [{"number": "第十一条", "title": "粉尘", "applies_to": "粉尘涉爆", "items": [
                {"id": "11.3", "text": text, "status": "CONFIRMED"}]}]}
    (directory / name).write_text(json.dumps(pack, ensure_ascii=False), encoding="utf-8")


@pytest.fixture
def packs(reference):
    return {p.code: p for p in load_packs()}


def test_shipped_packs_load_and_loading_again_changes_nothing(reference):
    first = load_packs()
    assert sorted((p.code, p.version, p.is_current) for p in first) == [
        ("gongmao", "2023", True), ("huagong", "2017", True)]
    gongmao = next(p for p in first if p.code == "gongmao")
    assert gongmao.document == "应急管理部令第10号" and str(gongmao.effective_from) == "2023-05-15"
    assert len(pack_of(gongmao).items()) == 22
    again = load_packs()
    assert [p.pk for p in again] == [p.pk for p in first]
    assert DeterminationPack.objects.count() == 2
    assert list(current_packs().values_list("code", flat=True)) == ["gongmao", "huagong"]


def test_a_new_version_becomes_current_and_keeps_the_old_one(reference, tmp_path):
    write_pack(tmp_path, "demo-2023.json", "2023", "2023-05-15")
    (old,) = load_packs(tmp_path)
    assert old.is_current
    write_pack(tmp_path, "demo-2025.json", "2025", "2025-07-01", text="新版条文")
    stored = load_packs(tmp_path)
    assert [(p.version, p.is_current) for p in stored] == [("2023", False), ("2025", True)]
    old.refresh_from_db()
    assert not old.is_current and pack_of(old).items()["11.3"][1].text == "干式除尘系统未采取任何爆炸防控措施"
    assert DeterminationPack.objects.filter(code="demo").count() == 2


def test_loading_an_older_version_later_does_not_make_it_current(reference, tmp_path):
    write_pack(tmp_path, "demo-2025.json", "2025", "2025-07-01")
    load_packs(tmp_path)
    write_pack(tmp_path, "demo-2023.json", "2023", "2023-05-15")
    load_packs(tmp_path)
    assert dict(DeterminationPack.objects.filter(code="demo").values_list("version", "is_current")) == {
        "2023": False, "2025": True}


def test_changed_content_under_the_same_version_is_refused(reference, tmp_path):
    write_pack(tmp_path, "demo-2023.json", "2023", "2023-05-15")
    load_packs(tmp_path)
    write_pack(tmp_path, "demo-2023.json", "2023", "2023-05-15", text="悄悄改过的条文")
    with pytest.raises(PackError, match="new version"):
        load_packs(tmp_path)
    assert pack_of(DeterminationPack.objects.get(code="demo")).items()["11.3"][1].text == \
        "干式除尘系统未采取任何爆炸防控措施"


def test_an_invalid_file_loads_nothing(reference, tmp_path):
    write_pack(tmp_path, "a-demo.json", "2023", "2023-05-15")
    (tmp_path / "b-broken.json").write_text('{"code": "x"}', encoding="utf-8")
    with pytest.raises(PackError, match="b-broken.json: missing or empty field .version."):
        load_packs(tmp_path)
    assert not DeterminationPack.objects.filter(code="demo").exists()


def test_confirm_determination_sets_grade_basis_pack_and_transition(packs, yuzhong):
    hazard = make_hazard()
    proposal = confirm_determination(user=yuzhong, hazard=hazard, pack_model=packs["gongmao"],
                                     ticked_ids=["11.3", "13.1.a"], comment="现场核查")
    assert proposal.grade == "major"
    basis = f"{GONGMAO} 第十一条第3项"
    assert hazard.grade == "major" and hazard.basis == basis  # the caller's object is updated too
    hazard = Hazard.objects.get(pk=hazard.pk)  # refresh_from_db() trips the protected FSM field
    assert (hazard.grade, hazard.basis, hazard.determination_pack) == ("major", basis, packs["gongmao"])
    assert hazard.determination_items == ["11.3", "13.1.a"]
    assert hazard.supervision is None  # listing for supervision is the workflow service's job
    step = hazard.transitions.get()
    assert step.action == "determine" and step.by == yuzhong
    assert step.from_status == step.to_status == HazardStatus.REPORTED
    assert basis in step.comment and "现场核查" in step.comment
    assert hazard.history.first().history_user == yuzhong
    assert hazard.history.first().grade == "major"


def test_nothing_ticked_makes_a_major_hazard_general(packs, admin_user):
    hazard = make_hazard(grade="major", basis="旧依据")
    proposal = confirm_determination(user=admin_user, hazard=hazard, pack_model=packs["huagong"], ticked_ids=[])
    hazard = Hazard.objects.get(pk=hazard.pk)  # refresh_from_db() trips the protected FSM field
    assert proposal.grade == hazard.grade == "general"
    assert hazard.basis == "" and hazard.determination_items == []
    assert "改判为一般隐患" in hazard.transitions.get().comment


def test_old_hazard_keeps_its_pack_version_after_a_new_version(reference, tmp_path, yuzhong):
    write_pack(tmp_path, "demo-2023.json", "2023", "2023-05-15")
    (old,) = load_packs(tmp_path)
    hazard = make_hazard()
    confirm_determination(user=yuzhong, hazard=hazard, pack_model=old, ticked_ids=["11.3"])
    write_pack(tmp_path, "demo-2025.json", "2025", "2025-07-01", text="新版条文")
    new = load_packs(tmp_path)[1]
    hazard = Hazard.objects.get(pk=hazard.pk)  # refresh_from_db() trips the protected FSM field
    assert hazard.determination_pack == old and hazard.basis == "演示判定标准(演示令2023号) 第十一条第3项"
    # re-judging by the hazard's own (old) version is allowed; a fresh hazard must use the current one
    confirm_determination(user=yuzhong, hazard=hazard, pack_model=old, ticked_ids=["11.3"])
    other = make_hazard(code="YH-T-2")
    with pytest.raises(WorkplanError, match="现行"):
        confirm_determination(user=yuzhong, hazard=other, pack_model=old, ticked_ids=["11.3"])
    confirm_determination(user=yuzhong, hazard=other, pack_model=new, ticked_ids=["11.3"])
    assert other.basis == "演示判定标准(演示令2025号) 第十一条第3项"


def test_unknown_ids_are_a_domain_error_and_change_nothing(packs, yuzhong):
    hazard = make_hazard()
    with pytest.raises(WorkplanError, match="99.9"):
        confirm_determination(user=yuzhong, hazard=hazard, pack_model=packs["gongmao"], ticked_ids=["11.3", "99.9"])
    hazard = Hazard.objects.get(pk=hazard.pk)  # refresh_from_db() trips the protected FSM field
    assert hazard.grade == "general" and hazard.determination_pack is None and not hazard.transitions.exists()


def test_a_closed_hazard_cannot_be_regraded(packs, admin_user):
    hazard = make_hazard()
    Hazard.objects.filter(pk=hazard.pk).update(status=HazardStatus.ACCEPTED)
    with pytest.raises(WorkplanError, match="销号"):
        confirm_determination(user=admin_user, hazard=hazard, pack_model=packs["gongmao"], ticked_ids=["14"])


def test_viewer_and_other_district_are_refused(packs, viewer, wanzhou):
    hazard = make_hazard()
    for user in (viewer, wanzhou):
        with pytest.raises(PermissionDenied):
            confirm_determination(user=user, hazard=hazard, pack_model=packs["gongmao"], ticked_ids=["11.3"])
    hazard = Hazard.objects.get(pk=hazard.pk)  # refresh_from_db() trips the protected FSM field
    assert hazard.grade == "general" and not hazard.transitions.exists()


def test_supervising_department_may_determine_only_its_own_hazards(packs, fire_dept):
    fire = Organization.objects.get(name="市消防救援局")
    own = make_hazard(code="YH-T-3", supervising_department=fire)
    confirm_determination(user=fire_dept, hazard=own, pack_model=packs["gongmao"], ticked_ids=["3.2"])
    assert own.grade == "major"
    foreign = make_hazard(code="YH-T-4")
    with pytest.raises(PermissionDenied):
        confirm_determination(user=fire_dept, hazard=foreign, pack_model=packs["gongmao"], ticked_ids=["3.2"])


def test_packaged_file_names_are_code_and_version():
    for path in DEFAULT_DIRECTORY.glob("*.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        assert path.name == f"{data['code']}-{data['version']}.json"
