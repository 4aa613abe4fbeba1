"""Target phrases -> (comparator, value, unit), scopes, metrics, ranges and deadline propagation."""

from datetime import date

import pytest

from citysafe.workplans.extract.model import COMPARATORS  # noqa: E402
from citysafe.workplans.extract.targets import parse_targets  # noqa: E402


def one(text, **kwargs):
    targets = parse_targets(text, 2026, **kwargs)
    assert len(targets) == 1, targets
    return targets[0]


@pytest.mark.parametrize(
    ("text", "comparator", "value", "unit"),
    [
        ("整改率达100%", ">=", 100, "%"),
        ("覆盖率80%以上", ">=", 80, "%"),
        ("较大事故10起以内", "<=", 10, "起"),
        ("号牌率不高于1%", "<=", 1, "%"),
        ("溯源率不低于50%", ">=", 50, "%"),
        ("检验率高于95%", ">", 95, "%"),
        ("困人率低于0.5%", "<", 0.5, "%"),
        ("亡人数下降5%以上", "decrease_by_at_least", 5, "%"),
        ("投诉率下降10%", "decrease_by", 10, "%"),
        ("森林火灾受害率0.3‰以内", "<=", 0.3, "‰"),
        ("事故起数控制在18起以内", "<=", 18, "起"),
        ("拆解老旧营运船舶200艘", "complete_count", 200, "艘"),
        ("开展老化管道更新改造1000公里", "complete_count", 1000, "公里"),
        ("新增接入1万台物联感知电梯", "complete_count", 10000, "台"),
        ("列车运行正点率维持在99.5%以上", ">=", 99.5, "%"),
        ("施工人数达到施工现场总人数50%以上", ">=", 50, "%"),
        ("改造危旧桥50座", "complete_count", 50, "座"),
        ("建设324套暴雨积涝自动监测设备", "complete_count", 324, "套"),
        ("建设3部微小型X波段天气雷达", "complete_count", 3, "部"),
        ("开展3条山洪沟防洪治理", "complete_count", 3, "条"),
        ("在200处地质灾害隐患点新建监测台站", "complete_count", 200, "处"),
        ("对2000名群众实施避险搬迁", "complete_count", 2000, "名"),
        ("培训人数增长20%以上", "increase_by_at_least", 20, "%"),
        ("覆盖面提高5个百分点", "increase_by", 5, "个百分点"),
        ("死亡人数不超过3人", "<=", 3, "人"),
        ("整改率达到100％", ">=", 100, "%"),  # full-width percent sign
    ],
)
def test_phrase(text, comparator, value, unit):
    target = one(text)
    assert (target.comparator, target.value, target.unit) == (comparator, value, unit)
    assert target.comparator in COMPARATORS


def test_wan_multiplier_and_int_value():
    target = one("城市危旧房1万户")
    assert target.value == 10000 and isinstance(target.value, int)
    assert one("储备资金1.5万吨").value == 15000


def test_two_counts_in_one_sentence():
    targets = parse_targets("改造老旧小区600个、城市危旧房1万户。", 2026)
    assert [(t.comparator, t.value, t.unit, t.metric) for t in targets] == [
        ("complete_count", 600, "个", "改造老旧小区"),
        ("complete_count", 10000, "户", "城市危旧房"),
    ]


def test_scopes_share_deadline():
    text = "11月底前,高层建筑消防设施、重点部位物联感知设备中心城区接入率达100%,其他区县接入率达80%以上。"
    targets = parse_targets(text, 2026)
    assert [(t.comparator, t.value, t.scope, t.metric, t.deadline) for t in targets] == [
        (">=", 100, "中心城区", "接入率", date(2026, 11, 30)),
        (">=", 80, "其他区县", "接入率", date(2026, 11, 30)),
    ]


def test_scope_metric_inherited():
    targets = parse_targets("4月底前,中心城区应急鹰眼和卫星叫应标准化建设达95%,远郊区县达85%", 2026)
    assert [t.scope for t in targets] == ["中心城区", "远郊区县"]
    assert targets[1].metric == targets[0].metric == "应急鹰眼和卫星叫应标准化建设"
    assert {t.deadline for t in targets} == {date(2026, 4, 30)}


def test_deadline_applies_until_sentence_end():
    text = "年底前,数字化管理率达78%,数字孪生率达90%,病害整治率达100%,新建改造供水管网600公里。管网漏损率低于9%。"
    targets = parse_targets(text, 2026)
    assert [t.deadline for t in targets] == [date(2026, 12, 31)] * 4 + [None]


def test_deadline_only_applies_forward():
    targets = parse_targets("整改率达100%,6月底前覆盖率达90%", 2026)
    assert [t.deadline for t in targets] == [None, date(2026, 6, 30)]


def test_multiple_targets_metrics():
    targets = parse_targets("号牌率不高于1%。溯源率不低于50%,非法营运投诉率下降10%", 2026)
    assert [t.metric for t in targets] == ["号牌率", "溯源率", "非法营运投诉率"]


def test_rate_list_gives_one_target_per_rate():
    targets = parse_targets("年度文物保护单位巡查率、公共文化设施在线安全监管率达98%", 2026)
    assert [(t.metric, t.value) for t in targets] == [("年度文物保护单位巡查率", 98), ("公共文化设施在线安全监管率", 98)]


@pytest.mark.parametrize("text", ["占比5%—10%", "占比5%至10%", "占比5%~10%", "占比5%-10%", "占比5—10%"])
def test_range_gives_two_bounds(text):
    targets = parse_targets(text, 2026)
    assert [(t.comparator, t.value, t.unit) for t in targets] == [(">=", 5, "%"), ("<=", 10, "%")]
    assert targets[0].metric == targets[1].metric == "占比"


def test_range_under_decrease():
    targets = parse_targets("事故起数同比下降5%—10%", 2026)
    assert [(t.comparator, t.value) for t in targets] == [("decrease_by_at_least", 5), ("decrease_by", 10)]


def test_kpi_cell_zero():
    target = one("0", metric="重特大生产安全事故起数", whole_cell=True)
    assert (target.comparator, target.value, target.unit, target.metric) == ("=", 0, "起", "重特大生产安全事故起数")
    assert one("0", metric="因灾群死群伤责任事件", whole_cell=True).unit is None


def test_forced_metric_for_kpis():
    assert one("下降5%以上", metric="生产安全事故亡人数").metric == "生产安全事故亡人数"


def test_default_deadline_from_table_column():
    assert one("改造危旧桥梁5座。", default_deadline=date(2026, 9, 30)).deadline == date(2026, 9, 30)


@pytest.mark.parametrize(
    "text",
    [
        "2026年全市安全生产工作要点",
        "加强370兆赫兹窄带集群建设",
        "与“141”基层智治平台深度融合",
        "2小时内短临预警时空分辨率精细到500米、5分钟",
        "推动3部门联合执法",
        "第1次会议",
        "完成1:10000小流域调查",
        "6月30日前完成",
    ],
)
def test_not_targets(text):
    assert parse_targets(text, 2026) == ()
