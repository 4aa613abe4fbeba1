"""Text normalisation applied to every input before parsing.

* line endings -> "\\n"; control characters, zero-width characters and lone surrogates removed;
* radical lookalikes -> ideographs: PDFs printed by browsers and Word often give Kangxi radicals
  (U+2F00-U+2FD5, "⼀" for "一") or CJK Radicals Supplement characters (U+2E80-U+2EF3, "⻓" for "长") in the
  text layer. NFKC maps the whole Kangxi block; :data:`RADICALS_SUPPLEMENT` maps the supplement characters
  (NFKC only maps two of them) to their equivalent unified ideographs (Unicode EquivalentUnifiedIdeograph);
* Unicode NFKC: full-width ASCII becomes half-width ("（责任单位：甲，乙）" -> "(责任单位:甲,乙)",
  "１０％" -> "10%", ideographic space -> space) while Chinese-only punctuation that carries meaning
  ("、" "。" "《》" "〔〕" "“”" "—" "‰") is left alone by NFKC;
* traditional -> simplified Chinese with OpenCC 't2s' (skipped silently if OpenCC is not installed);
* runs of spaces collapsed and every line stripped; blank lines dropped;
* spaces that only come from layout are removed (``squeeze_spaces``): always between a number and a unit or
  date part ("2026 年" -> "2026年", "100 %" -> "100%", "30 公里") and next to Chinese punctuation
  ("一、 加强", "《 法 》"); between two Chinese characters, between any digit and Chinese character and
  inside brackets ("( 一 )" -> "(一)", "安 全" -> "安全", "达 100" -> "达100") only for PDF text or text where
  such spaces are everywhere (:func:`looks_spaced`) -- a real space between two Chinese unit names
  ("市应急局 市公安局") separates list items in TXT/HTML/DOCX. Spaces between Latin words are always kept.

All downstream regexes are therefore written against half-width ``( ) : , ;`` only.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# C0/C1 controls except \n and \t, zero-width and BOM characters, soft hyphen, lone surrogates.
_JUNK = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u200b-\u200f\u2028\u2029\u2060\ufeff\ud800-\udfff]")
_SPACES = re.compile(r"[ \t\u00a0]+")

#: CJK Radicals Supplement -> equivalent unified ideograph (after Unicode's EquivalentUnifiedIdeograph.txt).
#: The whole-character radicals (simplified forms 长 门 车 见 马 鱼 ...) matter most: browsers emit them for
#: ordinary text. Component-only forms (亻 氵 扌 ...) are mapped too, for completeness.
RADICALS_SUPPLEMENT: dict[str, str] = {
    "\u2e80": "\u51ab",  # ⺀ -> 冫
    "\u2e81": "\u5382",  # ⺁ -> 厂
    "\u2e82": "\u4e5b",  # ⺂ -> 乛
    "\u2e83": "\u4e5a",  # ⺃ -> 乚
    "\u2e84": "\u4e59",  # ⺄ -> 乙
    "\u2e85": "\u4ebb",  # ⺅ -> 亻
    "\u2e86": "\u5182",  # ⺆ -> 冂
    "\u2e87": "\u51e0",  # ⺇ -> 几
    "\u2e89": "\u5202",  # ⺉ -> 刂
    "\u2e8a": "\u535c",  # ⺊ -> 卜
    "\u2e8b": "\u353e",  # ⺋ -> 㔾
    "\u2e8c": "\u5c0f",  # ⺌ -> 小
    "\u2e8d": "\u5c0f",  # ⺍ -> 小
    "\u2e8e": "\u5140",  # ⺎ -> 兀
    "\u2e8f": "\u5c23",  # ⺏ -> 尣
    "\u2e90": "\u5c22",  # ⺐ -> 尢
    "\u2e92": "\u5df3",  # ⺒ -> 巳
    "\u2e93": "\u5e7a",  # ⺓ -> 幺
    "\u2e94": "\u5f51",  # ⺔ -> 彑
    "\u2e95": "\u5f50",  # ⺕ -> 彐
    "\u2e96": "\u5fc4",  # ⺖ -> 忄
    "\u2e97": "\u38fa",  # ⺗ -> 㣺
    "\u2e98": "\u624c",  # ⺘ -> 扌
    "\u2e99": "\u6535",  # ⺙ -> 攵
    "\u2e9b": "\u65e1",  # ⺛ -> 旡
    "\u2e9c": "\u65e5",  # ⺜ -> 日
    "\u2e9d": "\u6708",  # ⺝ -> 月
    "\u2e9e": "\u6b7a",  # ⺞ -> 歺
    "\u2e9f": "\u6bcd",  # ⺟ -> 母
    "\u2ea0": "\u6c11",  # ⺠ -> 民
    "\u2ea1": "\u6c35",  # ⺡ -> 氵
    "\u2ea2": "\u6c3a",  # ⺢ -> 氺
    "\u2ea3": "\u706c",  # ⺣ -> 灬
    "\u2ea4": "\u722b",  # ⺤ -> 爫
    "\u2ea5": "\u722b",  # ⺥ -> 爫
    "\u2ea6": "\u4e2c",  # ⺦ -> 丬
    "\u2ea7": "\u725b",  # ⺧ -> 牛
    "\u2ea8": "\u72ad",  # ⺨ -> 犭
    "\u2ea9": "\u738b",  # ⺩ -> 王
    "\u2eaa": "\u758b",  # ⺪ -> 疋
    "\u2eab": "\u7f52",  # ⺫ -> 罒
    "\u2eac": "\u793a",  # ⺬ -> 示
    "\u2ead": "\u793b",  # ⺭ -> 礻
    "\u2eae": "\u7af9",  # ⺮ -> 竹
    "\u2eaf": "\u7cf9",  # ⺯ -> 糹
    "\u2eb0": "\u7e9f",  # ⺰ -> 纟
    "\u2eb1": "\u7f53",  # ⺱ -> 罓
    "\u2eb2": "\u7f52",  # ⺲ -> 罒
    "\u2eb3": "\u34c1",  # ⺳ -> 㓁
    "\u2eb4": "\u7f52",  # ⺴ -> 罒
    "\u2eb5": "\u34c1",  # ⺵ -> 㓁
    "\u2eb6": "\u7f8a",  # ⺶ -> 羊
    "\u2eb7": "\u7f8a",  # ⺷ -> 羊
    "\u2eb9": "\u8002",  # ⺹ -> 耂
    "\u2eba": "\u8080",  # ⺺ -> 肀
    "\u2ebb": "\u807f",  # ⺻ -> 聿
    "\u2ebc": "\u8089",  # ⺼ -> 肉
    "\u2ebd": "\u81fc",  # ⺽ -> 臼
    "\u2ebe": "\u8279",  # ⺾ -> 艹
    "\u2ebf": "\u8279",  # ⺿ -> 艹
    "\u2ec0": "\u8279",  # ⻀ -> 艹
    "\u2ec1": "\u864e",  # ⻁ -> 虎
    "\u2ec2": "\u8864",  # ⻂ -> 衤
    "\u2ec3": "\u8980",  # ⻃ -> 覀
    "\u2ec4": "\u897f",  # ⻄ -> 西
    "\u2ec5": "\u89c1",  # ⻅ -> 见
    "\u2ec6": "\u89d2",  # ⻆ -> 角
    "\u2ec7": "\u89d2",  # ⻇ -> 角
    "\u2ec8": "\u8ba0",  # ⻈ -> 讠
    "\u2ec9": "\u8d1d",  # ⻉ -> 贝
    "\u2ecb": "\u8f66",  # ⻋ -> 车
    "\u2ecc": "\u8fb6",  # ⻌ -> 辶
    "\u2ecd": "\u8fb6",  # ⻍ -> 辶
    "\u2ece": "\u8fb6",  # ⻎ -> 辶
    "\u2ecf": "\u961d",  # ⻏ -> 阝
    "\u2ed0": "\u9485",  # ⻐ -> 钅
    "\u2ed1": "\u9577",  # ⻑ -> 長
    "\u2ed2": "\u9578",  # ⻒ -> 镸
    "\u2ed3": "\u957f",  # ⻓ -> 长
    "\u2ed4": "\u95e8",  # ⻔ -> 门
    "\u2ed5": "\u961d",  # ⻕ -> 阝
    "\u2ed6": "\u961d",  # ⻖ -> 阝
    "\u2ed7": "\u96e8",  # ⻗ -> 雨
    "\u2ed8": "\u9752",  # ⻘ -> 青
    "\u2ed9": "\u97e6",  # ⻙ -> 韦
    "\u2eda": "\u9875",  # ⻚ -> 页
    "\u2edb": "\u98ce",  # ⻛ -> 风
    "\u2edc": "\u98de",  # ⻜ -> 飞
    "\u2edd": "\u98df",  # ⻝ -> 食
    "\u2ede": "\u98df",  # ⻞ -> 食
    "\u2edf": "\u98df",  # ⻟ -> 食
    "\u2ee0": "\u9963",  # ⻠ -> 饣
    "\u2ee1": "\u9996",  # ⻡ -> 首
    "\u2ee2": "\u9a6c",  # ⻢ -> 马
    "\u2ee3": "\u9aa8",  # ⻣ -> 骨
    "\u2ee4": "\u9b3c",  # ⻤ -> 鬼
    "\u2ee5": "\u9c7c",  # ⻥ -> 鱼
    "\u2ee6": "\u9e1f",  # ⻦ -> 鸟
    "\u2ee7": "\u5364",  # ⻧ -> 卤
    "\u2ee8": "\u9ea6",  # ⻨ -> 麦
    "\u2ee9": "\u9ec4",  # ⻩ -> 黄
    "\u2eea": "\u9efe",  # ⻪ -> 黾
    "\u2eeb": "\u6589",  # ⻫ -> 斉
    "\u2eec": "\u9f50",  # ⻬ -> 齐
    "\u2eed": "\u6b6f",  # ⻭ -> 歯
    "\u2eee": "\u9f7f",  # ⻮ -> 齿
    "\u2eef": "\u7adc",  # ⻯ -> 竜
    "\u2ef0": "\u9f99",  # ⻰ -> 龙
    "\u2ef1": "\u9f9c",  # ⻱ -> 龜
    "\u2ef2": "\u4e80",  # ⻲ -> 亀
    "\u2ef3": "\u9f9f",  # ⻳ -> 龟
}
_RADICALS = str.maketrans(RADICALS_SUPPLEMENT)

# Character classes for squeeze_spaces (applied after NFKC, so brackets and colons are half-width).
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_CJK_PUNCT = "\u3000-\u303f\u2018\u2019\u201c\u201d\u2014\u2030\u00b7\uff5f-\uff65"  # 、。《》〔〕“”—‰·
_SEP_PUNCT = ",;:!?"  # half-width separators (from full-width ，；：！？ by NFKC)
# First characters of units and date parts that follow a number ("2026 年", "10 起", "30 公里", "5 个百分点").
_UNIT_START = "年月日号时万亿%‰个起人艘户座处台套部条家所次名辆项栋架吨支批公千平周天季倍元"
# Always: number -> unit, and around Chinese punctuation / separators.
_SAFE_GAP = re.compile(
    rf"(?<=[\d{_HAN}{_CJK_PUNCT}{_SEP_PUNCT}]) (?=[{_CJK_PUNCT}{_SEP_PUNCT}])"
    rf"|(?<=[{_CJK_PUNCT}]) (?=[\d{_HAN}{_CJK_PUNCT}])|(?<=[{_SEP_PUNCT}]) (?=[{_HAN}{_CJK_PUNCT}])"
    rf"|(?<=\d) (?=[{_UNIT_START}])"
)
# PDF/spaced text only: Chinese <-> Chinese, and inside/around brackets next to Chinese or digits.
_LAYOUT_GAP = re.compile(
    rf"(?<=[{_HAN}{_CJK_PUNCT}]) (?=[{_HAN}{_CJK_PUNCT}])"
    rf"|(?<=[(\[]) (?=[\d{_HAN}{_CJK_PUNCT}])|(?<=[\d{_HAN}{_CJK_PUNCT}]) (?=[)\]])"
    rf"|(?<=[)\]]) (?=[\d{_HAN}{_CJK_PUNCT}])|(?<=[{_HAN}{_CJK_PUNCT}]) (?=[(\[])"
    rf"|(?<=\d) (?=[.、{_HAN}])|(?<=[{_HAN}]) (?=\d)"
)
_HAN_PAIR = re.compile(rf"[{_HAN}](?=[{_HAN}])")
_HAN_SPACED_PAIR = re.compile(rf"[{_HAN}] (?=[{_HAN}])")


@lru_cache(maxsize=1)
def _t2s_converter():
    try:
        import opencc
    except ImportError:  # optional: simplified-only documents do not need it
        return None
    try:
        return opencc.OpenCC("t2s")
    except Exception:  # a broken OpenCC install must not break extraction
        return None


def to_simplified(text: str) -> str:
    """Traditional -> simplified (OpenCC t2s); identity when OpenCC is unavailable."""
    converter = _t2s_converter()
    return converter.convert(text) if converter and text else text


def map_radicals(text: str) -> str:
    """Kangxi radicals and CJK Radicals Supplement characters -> unified ideographs ("⼀" -> "一", "⻓" -> "长")."""
    return unicodedata.normalize("NFKC", text.translate(_RADICALS))


def looks_spaced(text: str) -> bool:
    """True when spaces between Chinese characters are the rule, not the exception (a PDF text dump)."""
    sample = text[:50000]
    spaced = len(_HAN_SPACED_PAIR.findall(sample))
    return spaced >= 8 and spaced >= 0.25 * (spaced + len(_HAN_PAIR.findall(sample)))


def squeeze_spaces(line: str, layout: bool = False) -> str:
    """Remove layout spaces from one line whose space runs are already single spaces (module docstring)."""
    if " " not in line:
        return line
    if layout:
        # Two passes: removing "一 二 三" gaps one at a time would need look-behind on a changing string.
        line = _LAYOUT_GAP.sub("", _LAYOUT_GAP.sub("", line))
    return _SAFE_GAP.sub("", line)


def normalize_text(text: str, simplify: bool = True, *, squeeze_cjk: bool | None = None) -> str:
    """Return ``text`` normalised as described in the module docstring (lines joined with "\\n").

    ``squeeze_cjk``: remove spaces between Chinese characters too (True for PDF text); None decides by
    :func:`looks_spaced`.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _JUNK.sub("", text)
    text = map_radicals(text)
    if simplify:
        text = to_simplified(text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    layout = looks_spaced("\n".join(lines)) if squeeze_cjk is None else squeeze_cjk
    lines = [squeeze_spaces(line, layout) for line in lines]
    return "\n".join(line for line in lines if line)


def normalize_inline(text: str) -> str:
    """Normalise a short fragment (a table cell, a unit list) without OpenCC or line handling."""
    text = map_radicals(_JUNK.sub("", text))
    return _SPACES.sub(" ", text.replace("\n", " ")).strip()
