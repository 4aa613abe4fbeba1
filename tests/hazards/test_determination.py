"""The determination engine on the shipped packs and on small inline packs (pure: no database).

Oracle: reference/standards-safety.md §3.2 (应急管理部令第10号) and §3.3 (安监总管三〔2017〕121号).
"""

import copy
import datetime as dt
import json

import pytest

from citysafe.hazards.determination import GENERAL, MAJOR, PackError, load_pack, propose
from citysafe.hazards.packs import DEFAULT_DIRECTORY

GONGMAO = "工贸企业重大事故隐患判定标准(应急管理部令第10号)"
HUAGONG = "化工和危险化学品生产经营单位重大生产安全事故隐患判定标准(试行)(安监总管三〔2017〕121号)"


@pytest.fixture(scope="module")
def gongmao():
    return load_pack(DEFAULT_DIRECTORY / "gongmao-2023.json")


@pytest.fixture(scope="module")
def huagong():
    return load_pack(DEFAULT_DIRECTORY / "huagong-2017.json")


def small_pack(**changes):
    pack = {
        "code": "demo", "version": "1", "title": "演示判定标准", "document": "演示令第1号",
        "effective_from": "2024-01-01",
        "articles": [
            {"number": "第三条", "title": "管理类", "applies_to": "全部", "items": [
                {"id": "3.1", "text": "甲", "status": "CONFIRMED"},
                {"id": "3.2", "text": "乙", "status": "UNCONFIRMED"},
            ]},
            {"number": "第四条", "title": "复合", "applies_to": "有限空间", "items": [
                {"id": "4.1", "text": "丙并且丁", "status": "CONFIRMED",
                 "all_of": [{"id": "4.1.a", "text": "丙"}, {"id": "4.1.b", "text": "丁"}]},
            ]},
            {"number": "第五条", "title": "参考", "applies_to": "全部", "direct": False, "items": [
                {"id": "5.1", "text": "戊", "status": "CONFIRMED"},
            ]},
        ],
    }
    pack.update(changes)
    return pack


# --- the shipped packs --------------------------------------------------------------------------------------------

def test_gongmao_pack_metadata_and_item_labels(gongmao):
    assert (gongmao.code, gongmao.version, gongmao.document) == ("gongmao", "2023", "应急管理部令第10号")
    assert gongmao.effective_from == dt.date(2023, 5, 15)
    assert [a.number for a in gongmao.articles] == [
        "第三条", "第四条", "第五条", "第六条", "第七条", "第八条", "第九条", "第十条", "第十一条", "第十二条",
        "第十三条", "第十四条"]
    items = gongmao.items()
    expected = {"3.1", "3.2", "3.3", "4.1", "4.2", "4.3", "4.4", "12.1", "12.2", "13.1", "13.2", "14"}
    expected |= {f"11.{n}" for n in range(1, 11)}
    assert set(items) == expected
    # status labels copied from the reference
    assert {i for i, (_a, item) in items.items() if item.status == "UNCONFIRMED"} == {
        "11.6", "11.7", "11.8", "11.9", "13.2"}
    assert all(item.status in {"CONFIRMED", "UNCONFIRMED"} for _a, item in items.values())
    # 第四条 (from 4.5) to 第十条 are not in the reference: flagged incomplete, never silently "all clear"
    assert [a.number for a in gongmao.incomplete_articles] == [
        "第四条", "第五条", "第六条", "第七条", "第八条", "第九条", "第十条"]


@pytest.mark.parametrize("item_id, article, cited", [
    ("3.1", "第三条", "第三条第1项"),
    ("3.2", "第三条", "第三条第2项"),
    ("3.3", "第三条", "第三条第3项"),
    ("4.1", "第四条", "第四条第1项"),
    ("4.4", "第四条", "第四条第4项"),
    ("11.1", "第十一条", "第十一条第1项"),
    ("11.3", "第十一条", "第十一条第3项"),
    ("11.5", "第十一条", "第十一条第5项"),
    ("11.10", "第十一条", "第十一条第10项"),
    ("12.1", "第十二条", "第十二条第1项"),
    ("12.2", "第十二条", "第十二条第2项"),
    ("14", "第十四条", "第十四条"),
])
def test_each_confirmed_gongmao_item_is_major_with_its_article(gongmao, item_id, article, cited):
    proposal = propose(gongmao, [item_id])
    assert proposal.grade == MAJOR and proposal.is_major
    assert proposal.basis == f"{GONGMAO} {cited}"
    assert [(f.number, f.item_ids) for f in proposal.articles] == [(article, [item_id])]
    assert proposal.articles[0].text == gongmao.items()[item_id][1].text
    assert proposal.unconfirmed_ids == [] and proposal.ticked == [item_id]


def test_every_gongmao_item_alone_makes_the_hazard_major(gongmao):
    for item_id, (article, item) in gongmao.items().items():
        ticks = [c.id for c in item.all_of] or [item_id]
        proposal = propose(gongmao, ticks)
        assert proposal.grade == MAJOR, item_id
        assert proposal.articles[0].number == article.number


def test_several_items_are_all_cited_in_pack_order(gongmao):
    proposal = propose(gongmao, ["11.5", "3.1", "11.3", "11.3"])
    assert proposal.basis == f"{GONGMAO} 第三条第1项；第十一条第3项、第5项"
    assert [(f.number, f.item_ids) for f in proposal.articles] == [("第三条", ["3.1"]), ("第十一条", ["11.3", "11.5"])]
    assert proposal.ticked == ["3.1", "11.3", "11.5"]


def test_unconfirmed_item_is_major_but_warns(gongmao):
    proposal = propose(gongmao, ["11.7"])
    assert proposal.grade == MAJOR and proposal.basis == f"{GONGMAO} 第十一条第7项"
    assert proposal.unconfirmed_ids == ["11.7"]
    assert any("11.7" in w and "核实" in w for w in proposal.warnings)


def test_nothing_ticked_is_general_and_warns_about_missing_articles(gongmao):
    proposal = propose(gongmao, [])
    assert proposal.grade == GENERAL and proposal.basis == "" and proposal.articles == []
    assert any("第五条" in w for w in proposal.warnings)


def test_confined_space_item_needs_all_three_conditions(gongmao):
    """第十三条第(一)项: 未辨识、无台账 "并且" 无警示标志 (standards-safety.md §3.2, 13.1)."""
    composite = gongmao.items()["13.1"][1]
    assert [c.id for c in composite.all_of] == ["13.1.a", "13.1.b", "13.1.c"]
    for ticks in (["13.1.a"], ["13.1.a", "13.1.b"], ["13.1.b", "13.1.c"]):
        proposal = propose(gongmao, ticks)
        assert proposal.grade == GENERAL, ticks
        assert proposal.partial[0].item_id == "13.1"
        assert proposal.ticked == ticks
    short = propose(gongmao, ["13.1.a", "13.1.c"])
    assert short.partial[0].missing == ["13.1.b"]
    full = propose(gongmao, ["13.1.c", "13.1.a", "13.1.b"])
    assert full.grade == MAJOR and full.basis == f"{GONGMAO} 第十三条第1项"
    assert full.articles[0].item_ids == ["13.1"] and full.partial == []
    assert propose(gongmao, ["13.1"]).basis == f"{GONGMAO} 第十三条第1项"


def test_huagong_pack_has_twenty_items_with_reference_labels(huagong):
    items = huagong.items()
    assert list(items) == [str(n) for n in range(1, 21)]
    labels = {i: item.status for i, (_a, item) in items.items()}
    assert all(labels[str(n)] == "CONFIRMED" for n in range(1, 15))
    assert labels["15"] == "SECONDARY"
    assert all(labels[str(n)] == "UNCONFIRMED" for n in range(16, 21))
    assert huagong.incomplete_articles == []


@pytest.mark.parametrize("number", range(1, 21))
def test_each_huagong_item_is_major(huagong, number):
    proposal = propose(huagong, [str(number)])
    assert proposal.grade == MAJOR
    assert proposal.basis == f"{HUAGONG} 第{number}项"
    assert proposal.unconfirmed_ids == ([] if number <= 14 else [str(number)])


def test_huagong_nothing_ticked_is_general(huagong):
    proposal = propose(huagong, ())
    assert proposal.grade == GENERAL and proposal.basis == "" and proposal.warnings == []


def test_unknown_ids_raise_or_are_returned(gongmao, huagong):
    with pytest.raises(PackError) as error:
        propose(gongmao, ["11.3", "99.1", "3"])
    assert error.value.unknown_ids == ["99.1", "3"] and "99.1" in str(error.value)
    with pytest.raises(PackError):
        propose(huagong, ["11.3"])  # an id of the other pack
    proposal = propose(gongmao, ["11.3", "99.1"], strict=False)
    assert proposal.grade == MAJOR and proposal.unknown_ids == ["99.1"]


def test_a_single_id_string_is_one_id(gongmao):
    assert propose(gongmao, "11.10").articles[0].item_ids == ["11.10"]


# --- small inline packs ---------------------------------------------------------------------------------------------

def test_inline_pack_direct_and_indicative_articles():
    pack = load_pack(small_pack())
    assert pack.citation == "演示判定标准(演示令第1号)"
    assert propose(pack, ["3.2"]).basis == "演示判定标准(演示令第1号) 第三条第2项"
    indicative = propose(pack, ["5.1"])
    assert indicative.grade == GENERAL and indicative.ticked == ["5.1"]
    assert propose(pack, ["4.1.a"]).grade == GENERAL
    assert propose(pack, ["4.1.a", "4.1.b"]).basis == "演示判定标准(演示令第1号) 第四条第1项"


def test_explicit_label_and_unnumbered_article():
    pack = small_pack(document="")
    pack["articles"] = [{"number": "", "title": "情形", "applies_to": "全部", "items": [
        {"id": "1", "text": "甲", "status": "CONFIRMED"},
        {"id": "2", "text": "乙", "status": "CONFIRMED", "label": "第二项"}]}]
    assert propose(load_pack(pack), ["2", "1"]).basis == "演示判定标准 第1项、第二项"


def test_load_pack_from_a_file(tmp_path):
    path = tmp_path / "demo-1.json"
    path.write_text(json.dumps(small_pack(), ensure_ascii=False), encoding="utf-8")
    assert load_pack(path).items().keys() == {"3.1", "3.2", "4.1", "5.1"}
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(PackError, match="demo-1.json: not valid JSON"):
        load_pack(path)
    with pytest.raises(PackError, match="cannot read"):
        load_pack(tmp_path / "missing.json")


def _broken(mutate):
    pack = copy.deepcopy(small_pack())
    mutate(pack)
    return pack


@pytest.mark.parametrize("mutate, message", [
    (lambda p: p.pop("code"), "missing or empty field 'code'"),
    (lambda p: p.update(title="  "), "missing or empty field 'title'"),
    (lambda p: p.update(effective_from="2024-13-01"), "effective_from must be a date"),
    (lambda p: p.update(articles=[]), "'articles' must be a non-empty list"),
    (lambda p: p.update(colour="red"), "unknown field(s) colour"),
    (lambda p: p["articles"][0].pop("applies_to"), "第三条: missing or empty field 'applies_to'"),
    (lambda p: p["articles"][0].pop("number"), "article #1: missing field 'number'"),
    (lambda p: p["articles"][1].update(number="第三条"), "duplicate article number '第三条'"),
    (lambda p: p["articles"][0].update(items=[]), "must say \"complete\": false"),
    (lambda p: p["articles"][0].update(direct="yes"), "'direct' must be true or false"),
    (lambda p: p["articles"][0]["items"][1].update(id="3.1"), "duplicate id '3.1'"),
    (lambda p: p["articles"][1]["items"][0]["all_of"][1].update(id="3.2"), "duplicate id '3.2'"),
    (lambda p: p["articles"][0]["items"][0].pop("id"), "missing or malformed id None"),
    (lambda p: p["articles"][0]["items"][0].pop("text"), "item 3.1: missing or empty field 'text'"),
    (lambda p: p["articles"][0]["items"][0].update(status="PROBABLY"), "item 3.1: unknown status 'PROBABLY'"),
    (lambda p: p["articles"][0]["items"][0].pop("status"), "unknown status None"),
    (lambda p: p["articles"][0]["items"][0].update(all_off=[]), "unknown field(s) all_off"),
    (lambda p: p["articles"][1]["items"][0].update(all_of=[{"id": "x", "text": "单一"}]), "at least two conditions"),
    (lambda p: p["articles"][1]["items"][0]["all_of"][0].pop("text"), "condition 4.1.a: missing or empty"),
])
def test_invalid_packs_are_refused_with_a_clear_message(mutate, message):
    with pytest.raises(PackError) as error:
        load_pack(_broken(mutate))
    assert message in str(error.value)


def test_an_article_may_be_declared_incomplete_without_items():
    pack = _broken(lambda p: p["articles"].append(
        {"number": "第六条", "title": "待补录", "applies_to": "有色", "complete": False, "items": []}))
    loaded = load_pack(pack)
    assert [a.number for a in loaded.incomplete_articles] == ["第六条"]
    assert any("第六条" in w for w in propose(loaded, []).warnings)
    assert not any("第六条" in w for w in propose(loaded, ["3.1"]).warnings)


def test_a_pack_without_any_item_is_refused():
    pack = small_pack(articles=[{"number": "第三条", "title": "空", "applies_to": "全部", "complete": False,
                                 "items": []}])
    with pytest.raises(PackError, match="no items"):
        load_pack(pack)
