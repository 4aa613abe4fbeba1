"""Masking of personal data for display and export (个人信息保护法 art. 51: measures such as de-identification).

Masks follow the common display convention of Chinese government systems: a mobile number keeps its first 3 and
last 4 digits (138****5678); an 18-character citizen ID (GB 11643-1999) keeps its first 6 (the region code) and
last 4 characters.
"""


def mask_phone(phone: str) -> str:
    """"13812345678" -> "138****5678"; short or empty values are masked whole."""
    digits = (phone or "").strip()
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_id_number(number: str) -> str:
    """"500103199001011234" -> "500103********1234"."""
    value = (number or "").strip()
    if len(value) < 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_name(name: str) -> str:
    """"张三丰" -> "张**": keeps the family name only."""
    value = (name or "").strip()
    return value[:1] + "*" * (len(value) - 1) if value else ""
