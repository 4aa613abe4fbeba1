"""Exact values extracted from the seed: Chongqing's 2026 work points (渝府发〔2026〕1号)."""

from datetime import date
from importlib import resources
from pathlib import Path

import pytest

from citysafe.workplans.extract import ExtractOptions, extract_file

# The package ships the seed (../shared/seed/000_c784d4ec733a8192.txt, byte for byte) for the demo.
SEED = Path(str(resources.files("citysafe.workplans") / "data" / "chongqing-2026-work-points.txt"))


@pytest.fixture(scope="module")
def plan():
    return extract_file(SEED, ExtractOptions())


@pytest.fixture(scope="module")
def data(plan):
    return plan.to_dict()


def _targets(item):
    return [(t.comparator, t.value, t.unit, t.scope, t.deadline) for t in item.targets]


def test_header(data):
    assert data["title"] == "2026年全市安全生产和防灾减灾救灾工作要点"
    assert data["notice_title"] == "重庆市人民政府关于印发《2026年全市安全生产和防灾减灾救灾工作要点》的通知"
    assert data["doc_number"] == "渝府发〔2026〕1号"
    assert data["issuer"] == "重庆市人民政府"
    assert data["date"] == "2026-02-06"
    assert data["year"] == 2026


def test_counts(data):
    assert len(data["sections"]) == 6
    assert len(data["tasks"]) == 21
    assert [len(data["annex"][g]) for g in ("kpis", "domains", "platforms")] == [8, 24, 12]


def test_sections(data):
    assert data["sections"][0]["number"] == "一"
    assert data["sections"][0]["title"] == "聚力提升统筹调度能力,筑牢齐抓共管的安全责任体系"
    assert data["sections"][5]["title"] == "聚力提升实战实效能力,优化贯通协同的数字应急体系"


def test_tasks_numbering_and_titles(data):
    tasks = data["tasks"]
    assert [t["index"] for t in tasks] == list(range(1, 22))
    assert tasks[0]["number"] == "一" and tasks[20]["number"] == "二十一"
    assert tasks[0]["title"] == "强化党政领导干部履职能力"
    assert tasks[0]["section"] == {"number": "一", "title": "聚力提升统筹调度能力,筑牢齐抓共管的安全责任体系"}
    assert tasks[4]["section"]["number"] == "二"
    assert tasks[20]["title"] == "推动科技研发和装备升级"
    assert tasks[20]["section"]["number"] == "六"
    assert tasks[0]["text"].startswith("强化党政领导干部履职能力。坚持“党政同责")
    # The annex listing line after task 21 must not leak into its text.
    assert "附件" not in tasks[20]["text"]


def test_task_7_flood_season_deadline(plan):
    task = plan.tasks[6]
    assert task.title == "抓好防灾减灾救灾固本强基三年行动收官"
    assert [(d.text, d.date) for d in task.deadlines] == [("主汛期前", date(2026, 5, 31))]


def test_flood_season_option():
    plan = extract_file(SEED, ExtractOptions(flood_season_deadline="06-15"))
    assert plan.tasks[6].deadlines[0].date == date(2026, 6, 15)


def test_kpis(plan):
    kpis = plan.annex["kpis"]
    assert [k.number for k in kpis] == list(range(1, 9))
    assert kpis[0].name == "重特大生产安全事故起数"
    assert [(t.comparator, t.value) for t in kpis[0].targets] == [("=", 0)]
    assert kpis[0].targets[0].metric == "重特大生产安全事故起数"
    assert kpis[2].name == "生产安全较大事故起数"
    assert _targets(kpis[2]) == [("<=", 10, "起", None, None)]
    assert _targets(kpis[3]) == [("decrease_by_at_least", 5, "%", None, None)]
    assert kpis[3].targets[0].metric == "生产安全事故亡人数"
    assert _targets(kpis[5]) == [("<=", 0.3, "‰", None, None)]
    assert all(t.deadline is None for k in kpis for t in k.targets)  # KPIs state no deadline


def test_kpi_units(plan):
    kpis = plan.annex["kpis"]
    assert [u.to_dict() for u in kpis[6].units] == [
        {"name": "市安委会、市防减救灾委各成员单位", "role": "lead", "group": True},
        {"name": "各区县政府", "role": "support", "group": True},
    ]
    assert [(u.name, u.group) for u in kpis[7].units] == [("市电力安全专委会各重点成员单位", True), ("各区县政府", True)]
    assert kpis[0].units[0].name == "市安委会各成员单位"


def test_domain_3_fire(plan):
    domain = plan.annex["domains"][2]
    assert domain.name == "消防领域"
    assert _targets(domain) == [
        (">=", 100, "%", "中心城区", date(2026, 11, 30)),
        (">=", 80, "%", "其他区县", date(2026, 11, 30)),
    ]
    assert [t.metric for t in domain.targets] == ["接入率", "接入率"]
    assert domain.units[0].name == "市消防救援局" and domain.units[0].role == "lead"
    assert domain.units[-1].name == "各区县政府" and domain.units[-1].group is True
    assert len(domain.units) == 16
    assert all(u.role == "support" for u in domain.units[1:])


def test_domain_1_metric(plan):
    domain = plan.annex["domains"][0]
    assert [(t.metric, t.comparator, t.value) for t in domain.targets] == [("重大危险源安全风险在线监测率", ">=", 100)]
    assert len(domain.units) == 13 and domain.units[10].name == "市消防救援局"


def test_domain_5_transport(plan):
    targets = _targets(plan.annex["domains"][4])
    assert ("complete_count", 200, "艘", None, None) in targets
    assert (">=", 99.5, "%", None, None) in targets


def test_domain_6_pipes(plan):
    assert _targets(plan.annex["domains"][5]) == [("complete_count", 1000, "公里", None, None)]


def test_domain_10_housing(plan):
    targets = plan.annex["domains"][9].targets
    counts = [(t.value, t.unit, t.metric) for t in targets if t.comparator == "complete_count"]
    assert counts == [(600, "个", "改造老旧小区"), (10000, "户", "城市危旧房")]
    assert (">=", 50, "%") in [(t.comparator, t.value, t.unit) for t in targets]


def test_domain_11_deadline_groups(plan):
    targets = _targets(plan.annex["domains"][10])
    assert targets[:2] == [
        (">=", 95, "%", "中心城区", date(2026, 4, 30)),
        (">=", 85, "%", "远郊区县", date(2026, 4, 30)),
    ]
    assert targets[2:] == [
        (">=", 78, "%", None, date(2026, 12, 31)),
        (">=", 90, "%", None, date(2026, 12, 31)),
        (">=", 100, "%", None, date(2026, 12, 31)),
        ("complete_count", 600, "公里", None, date(2026, 12, 31)),
    ]


def test_domain_12_roads(plan):
    targets = [(t.comparator, t.value, t.unit) for t in plan.annex["domains"][11].targets]
    assert ("<=", 1, "%") in targets
    assert (">=", 50, "%") in targets
    assert ("decrease_by", 10, "%") in targets
    assert ("complete_count", 50, "座") in targets
    assert targets[0] == ("<=", 1, "%")


def test_domain_15_special_equipment(plan):
    targets = plan.annex["domains"][14].targets
    rows = [(t.comparator, t.value, t.unit) for t in targets]
    assert (">", 95, "%") in rows
    assert ("<", 0.5, "%") in rows
    assert ("complete_count", 10000, "台") in rows
    assert all(t.deadline == date(2026, 12, 31) for t in targets)
    assert len(targets) == 5


@pytest.mark.parametrize("number", [18, 20, 21, 22])
def test_domains_with_some_districts(plan, number):
    # In the seed, domains 18, 20, 21 and 22 name "有关区县政府"; domain 17 (汛旱) names "各区县政府".
    last = plan.annex["domains"][number - 1].units[-1]
    assert (last.name, last.role, last.group) == ("有关区县政府", "support", True)


def test_domain_17_all_districts(plan):
    assert [(u.name, u.role, u.group) for u in plan.annex["domains"][16].units] == [
        ("市水利局", "lead", False),
        ("各区县政府", "support", True),
    ]


def test_domain_17_counts(plan):
    values = [(t.value, t.unit) for t in plan.annex["domains"][16].targets]
    assert values == [(50, "个"), (3, "条"), (231, "个"), (25, "个")]


def test_platform_3(plan):
    platform = plan.annex["platforms"][2]
    assert platform.name == "渝悦·农房智管"
    assert _targets(platform) == [(">=", 100, "%", "涉农区县", None)]
    assert [u.to_dict() for u in platform.units] == [{"name": "市住房城乡建委", "role": "lead", "group": False}]


def test_platform_names(plan):
    names = [p.name for p in plan.annex["platforms"]]
    assert names[0] == "危岩地灾风险管控" and names[-1] == "社会·渝震安"


def test_to_dict_is_json(data):
    import json

    text = json.dumps(data, ensure_ascii=False, allow_nan=False)
    assert '"comparator": "decrease_by_at_least"' in text
