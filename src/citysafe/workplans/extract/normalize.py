"""Text normalisation applied to every input before parsing.

* line endings -> "\\n"; control characters, zero-width characters and lone surrogates removed;
* Unicode NFKC: full-width ASCII becomes half-width ("（责任单位：甲，乙）" -> "(责任单位:甲,乙)",
  "１０％" -> "10%", ideographic space -> space) while Chinese-only punctuation that carries meaning
  ("、" "。" "《》" "〔〕" "“”" "—" "‰") is left alone by NFKC;
* traditional -> simplified Chinese with OpenCC 't2s' (skipped silently if OpenCC is not installed);
* runs of spaces collapsed and every line stripped; blank lines dropped.

All downstream regexes are therefore written against half-width ``( ) : , ;`` only.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# C0/C1 controls except \n and \t, zero-width and BOM characters, soft hyphen, lone surrogates.
_JUNK = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u200b-\u200f\u2028\u2029\u2060\ufeff\ud800-\udfff]")
_SPACES = re.compile(r"[ \t\u00a0]+")


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


def normalize_text(text: str, simplify: bool = True) -> str:
    """Return ``text`` normalised as described in the module docstring (lines joined with "\\n")."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _JUNK.sub("", text)
    text = unicodedata.normalize("NFKC", text)
    if simplify:
        text = to_simplified(text)
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def normalize_inline(text: str) -> str:
    """Normalise a short fragment (a table cell, a unit list) without OpenCC or line handling."""
    text = unicodedata.normalize("NFKC", _JUNK.sub("", text))
    return _SPACES.sub(" ", text.replace("\n", " ")).strip()
