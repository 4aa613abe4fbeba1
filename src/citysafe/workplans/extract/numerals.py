"""Chinese numerals used in numbering ("二十一") and dates ("十一月", "二〇二六")."""

from __future__ import annotations

CN_DIGITS = {"零": 0, "〇": 0, "○": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
CN_NUMERAL_CHARS = "零〇一二两三四五六七八九十百"


def cn_to_int(text: str) -> int | None:
    """"一"->1, "十"->10, "二十一"->21, "一百零五"->105, "二〇二六"->2026 (digit by digit), "12"->12.

    Returns None for anything else, so callers can treat it as "not a numeral".
    """
    text = text.strip()
    if not text:
        return None
    if text.isdigit() and text.isascii():
        return int(text)
    if "十" not in text and "百" not in text:
        # Positional form: "二〇二六" or a single digit.
        if all(ch in CN_DIGITS for ch in text):
            value = 0
            for ch in text:
                value = value * 10 + CN_DIGITS[ch]
            return value
        return None
    total, current = 0, 0
    for ch in text:
        if ch in CN_DIGITS:
            current = CN_DIGITS[ch]
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        elif ch == "百":
            total += (current or 1) * 100
            current = 0
        else:
            return None
    return total + current
