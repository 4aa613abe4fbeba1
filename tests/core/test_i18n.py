"""The UI is written in Chinese (zh-hans) and translated to English through ``locale/en``.

The page language follows the browser's Accept-Language (``LocaleMiddleware``); every message of the English
catalogue must be translated, so no Chinese leaks into the English UI.
"""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

import citysafe

PO_FILE = Path(citysafe.__file__).resolve().parent / "locale" / "en" / "LC_MESSAGES" / "django.po"
MO_FILE = PO_FILE.with_suffix(".mo")


@pytest.fixture
def logged_in(client, reference):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(username="i18n-user", password="pw-i18n-user")
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_home_in_english(logged_in):
    response = logged_in.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'lang="en"' in page or response.headers.get("Content-Language") == "en"
    assert "Sign out" in page
    assert "退出" not in page


@pytest.mark.django_db
def test_hazard_ledger_in_english(client, admin_user):
    client.force_login(admin_user)
    response = client.get("/hazards/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Hazard ledger" in page
    assert "隐患台账" not in page


@pytest.mark.django_db
def test_home_in_chinese(logged_in):
    response = logged_in.get("/", HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert response.status_code == 200
    page = response.content.decode()
    assert "退出" in page
    assert "Sign out" not in page


_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}


def unescape(s):
    """The value of a .po string literal."""
    return re.sub(r'\\(.)', lambda m: _ESCAPES.get(m.group(1), m.group(0)), s)


def _po_entries(text):
    """(msgid, msgstr, fuzzy) of each entry of a .po file, header and obsolete entries excluded."""
    entries = []
    for block in re.split(r"\n\s*\n", text):
        lines = [line for line in block.splitlines() if not line.startswith("#~")]
        fuzzy = any(line.startswith("#,") and "fuzzy" in line for line in lines)
        fields, current = {}, None
        for line in lines:
            match = re.match(r'^(msgid|msgstr|msgctxt|msgid_plural|msgstr\[\d+\])\s+"(.*)"$', line)
            if match:
                current = match.group(1)
                fields[current] = match.group(2)
            elif current and line.startswith('"'):
                fields[current] += line[1:-1]
        if fields.get("msgid"):
            entries.append((fields["msgid"], fields.get("msgstr", fields.get("msgstr[0]", "")), fuzzy))
    return entries


def test_every_message_translated():
    entries = _po_entries(PO_FILE.read_text(encoding="utf-8"))
    assert entries, "empty English catalogue"
    untranslated = [msgid for msgid, msgstr, _ in entries if not msgstr]
    fuzzy = [msgid for msgid, _, is_fuzzy in entries if is_fuzzy]
    assert not untranslated, f"untranslated: {untranslated}"
    assert not fuzzy, f"fuzzy: {fuzzy}"


def test_placeholders_kept():
    for msgid, msgstr, _ in _po_entries(PO_FILE.read_text(encoding="utf-8")):
        assert sorted(re.findall(r"%\(\w+\)[sdr]", msgid)) == sorted(re.findall(r"%\(\w+\)[sdr]", msgstr)), msgid


def test_compiled_catalogue_current():
    """The committed .mo holds the same translations as the .po (someone edited the .po and forgot to compile)."""
    import gettext

    with MO_FILE.open("rb") as fh:
        catalog = gettext.GNUTranslations(fh)
    entries = _po_entries(PO_FILE.read_text(encoding="utf-8"))

    stale = [msgid for msgid, msgstr, _ in entries if catalog.gettext(unescape(msgid)) != unescape(msgstr)]
    assert not stale, f"run `citysafe compilemessages`; .mo differs for: {stale}"


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="gettext msgfmt not installed")
def test_msgfmt_statistics():
    result = subprocess.run(["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(PO_FILE)],
                            capture_output=True, text=True, check=True)
    stats = result.stderr + result.stdout
    assert "untranslated" not in stats and "fuzzy" not in stats, stats


@pytest.mark.django_db
def test_early_warning_list_in_english(client, admin_user):
    client.force_login(admin_user)
    response = client.get("/early-warning/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Active early warnings" in page
    assert "生效预警" not in page
