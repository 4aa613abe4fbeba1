"""Responsible units: lists, groups, and the responsibility annotations of task text."""


import pytest

from citysafe.workplans.extract.units import (  # noqa: E402
    is_group,
    parse_unit_list,
    split_unit_names,
    strip_annotations,
    units_in_text,
)


def rows(units):
    return [(u.name, u.role, u.group) for u in units]


def test_first_is_lead_rest_support():
    assert rows(parse_unit_list("市应急管理局、市公安局,各区县政府")) == [
        ("市应急管理局", "lead", False),
        ("市公安局", "support", False),
        ("各区县政府", "support", True),
    ]


def test_committee_members_stay_one_unit():
    assert split_unit_names("市安委会、市防减救灾委各成员单位,各区县政府") == ["市安委会、市防减救灾委各成员单位", "各区县政府"]


def test_department_ending_in_wei_is_not_merged():
    assert split_unit_names("市经济信息委、市公安局") == ["市经济信息委", "市公安局"]


@pytest.mark.parametrize(
    "name",
    ["各区县政府", "有关区县政府", "市安委会各成员单位", "市防减救灾委各成员单位", "市安委会、市防减救灾委各成员单位",
     "市电力安全专委会各重点成员单位", "各街道办事处", "市级有关部门", "各区县(自治县)政府"],
)
def test_groups(name):
    assert is_group(name)


@pytest.mark.parametrize("name", ["市应急管理局", "市经济信息委", "重庆海事局", "国网重庆电力", "市政府口岸物流办"])
def test_not_groups(name):
    assert not is_group(name)


@pytest.mark.parametrize(
    "text",
    ["加强监管。(责任单位:市应急管理局、市公安局,各区县政府)", "加强监管。（责任单位：市应急管理局、市公安局，各区县政府）"],
)
def test_responsibility_annotation_half_and_full_width(text):
    assert rows(units_in_text(text)) == [
        ("市应急管理局", "lead", False),
        ("市公安局", "support", False),
        ("各区县政府", "support", True),
    ]


@pytest.mark.parametrize(
    "text",
    ["(市应急局牵头,市公安局、市消防救援局落实)", "（市应急局牵头，市公安局、市消防救援局配合）", "(市应急局牵头,市公安局、市消防救援局参与)"],
)
def test_lead_word(text):
    assert rows(units_in_text("推进整治。" + text)) == [
        ("市应急局", "lead", False),
        ("市公安局", "support", False),
        ("市消防救援局", "support", False),
    ]


def test_two_leads_before_qiantou():
    assert [u.role for u in units_in_text("(市应急局、市水利局牵头,各区县政府落实)")] == ["lead", "lead", "support"]


def test_labelled_lead_and_cooperating_units():
    text = "(牵头责任单位:市住房城乡建委,协同责任单位:市城市管理局、各区县政府)"
    assert rows(units_in_text(text)) == [
        ("市住房城乡建委", "lead", False),
        ("市城市管理局", "support", False),
        ("各区县政府", "support", True),
    ]
    assert rows(units_in_text("（牵头单位：市水利局；配合单位：市气象局）")) == [
        ("市水利局", "lead", False),
        ("市气象局", "support", False),
    ]


def test_several_annotations_merge_in_order():
    text = "一是整治燃气(责任单位:市住房城乡建委);二是整治交通(责任单位:市公安局、市住房城乡建委)。"
    assert [(u.name, u.role) for u in units_in_text(text)] == [("市住房城乡建委", "lead"), ("市公安局", "lead")]


@pytest.mark.parametrize("text", ["(以下简称专委会)", "各区县(自治县)人民政府", "(此件公开发布)", "(简明化、图表化、实战化,应急处置卡)"])
def test_ordinary_parentheses_are_not_units(text):
    assert units_in_text(text) == ()


def test_trailing_words_removed():
    assert split_unit_names("市应急管理局、市公安局等按职责分工负责") == ["市应急管理局", "市公安局"]


def test_strip_annotations_keeps_other_parentheses():
    assert strip_annotations("整治消防隐患(含高层建筑)。(责任单位:市消防救援局)") == "整治消防隐患(含高层建筑)。"
