"""Property: any input either yields a Plan (whose to_dict is valid JSON) or raises ExtractionError with a code."""

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from citysafe.workplans.extract import ExtractionError, ExtractOptions, extract_bytes, extract_text  # noqa: E402
from citysafe.workplans.extract.errors import CODES  # noqa: E402
from citysafe.workplans.extract.targets import parse_targets  # noqa: E402
from citysafe.workplans.extract.units import parse_unit_list, units_in_text  # noqa: E402

# database=None: no .hypothesis directory is written into the repository.
FUZZ = settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

# Pieces of the grammar, so generated text reaches deep into the parser rather than failing at the start.
FRAGMENTS = [
    "2026年工作要点", "一、", "二十一、", "(一)", "（二）", "1.", "2、", "(1)", "一是", "二是", "附件", "附件:", "|", " |",
    "| 序号 | 名称 | 2026年目标 | 责任单位 |", "序号 |", "名 称 |", "责任单位 |", "完成时限", "工作任务",
    "达100%", "80%以上", "10起以内", "不高于1%", "下降5%以上", "0.3‰以内", "1万户", "5%—10%", "5%至", "—", "万", "亿",
    "11月底前", "年底前", "主汛期前", "2月30日前", "一季度", "上半年", "13月底前", "9999年底前", "0000年6月底前",
    "(责任单位:市应急局、各区县政府)", "(市应急局牵头,市公安局配合)", "(牵头单位:甲;配合单位:乙)", "(", ")", "、", ",", "。",
    "中心城区", "其他区县", "渝府发〔2026〕1号", "成文日期 : | 2026-02-06 |", "2026年2月30日", "重庆市人民政府", "\n", "\n\n",
    "关于印发《", "》的通知", "9" * 30, "0.000001", "<p>", "<table><tr><td>", "</td></tr></table>", "\x00", "\ufeff", "\ud800",
]
structured_text = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=8)), max_size=60).map("".join)


def _check(call):
    try:
        plan = call()
    except ExtractionError as exc:
        assert str(exc)
        # Every raise site names its code; "internal" would be a parser bug turned into an error.
        assert exc.code in CODES and exc.code not in ("invalid", "internal"), (exc.code, str(exc))
        return
    json.dumps(plan.to_dict(), ensure_ascii=False, allow_nan=False)


@FUZZ
@given(st.text(max_size=400))
def test_any_text(text):
    _check(lambda: extract_text(text))


@FUZZ
@given(structured_text, st.one_of(st.none(), st.integers(1900, 2100)))
def test_plan_like_text(text, year):
    _check(lambda: extract_text(text, ExtractOptions(year=year)))


@FUZZ
@given(st.binary(max_size=400), st.sampled_from(["a.txt", "a.html", "a.docx", "a.pdf", "a.doc", "a", None]))
def test_any_bytes(data, filename):
    _check(lambda: extract_bytes(data, filename))


@FUZZ
@given(structured_text, st.sampled_from(["utf-8", "gbk", "utf-16", "utf-16-le", "gb18030", "big5"]))
def test_encoded_plan_like_bytes(text, encoding):
    data = text.encode(encoding, errors="ignore")
    _check(lambda: extract_bytes(data, "plan.txt", ExtractOptions(year=2026)))


@FUZZ
@given(structured_text)
def test_helpers_never_crash(text):
    for target in parse_targets(text, 2026, whole_cell=True):
        assert isinstance(target.value, (int, float))
    parse_unit_list(text)
    units_in_text(text)
