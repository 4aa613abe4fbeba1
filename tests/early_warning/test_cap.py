"""CAP 1.2 / GB/T 35965.1: identifiers, building, validation (vendored XSD, no network), tolerant parsing, import
of received messages, publishing a warning, the public Atom feed and the CAP XML view."""

import datetime as dt

import pytest
from lxml import etree

from citysafe.early_warning import cap

BJ = cap.BEIJING
T0 = dt.datetime(2026, 7, 1, 12, 0, 0, tzinfo=BJ)
SQUARE = {"type": "Polygon", "coordinates": [[[106.5, 29.5], [106.6, 29.5], [106.6, 29.6], [106.5, 29.6],
                                              [106.5, 29.5]]]}
OTHER_SENDER = "50010300000000"  # a district issuer, not us


def alert_xml(**overrides):
    values = dict(identifier=cap.make_identifier(OTHER_SENDER, T0, 0), sender=OTHER_SENDER, sent=T0,
                  level="orange", hazard_type="rainstorm", onset=T0, expires=T0 + dt.timedelta(days=3650),
                  sender_name="渝中区气象局", headline="渝中区暴雨橙色预警", description="3 小时内降雨量将达 50 毫米以上",
                  instruction="停止户外集体活动,切断危险电源", area_desc="渝中区", polygon=SQUARE, geocodes=["500103"])
    values.update(overrides)
    return cap.build_alert(**values)


def reference_to(xml):
    parsed = cap.parse(xml)
    return (parsed.sender, parsed.identifier, parsed.sent_text)


# --- pure ------------------------------------------------------------------------------------------------------

def test_identifier_vector():
    identifier = cap.make_identifier("50000000000000", dt.datetime(2026, 7, 1, 12, 0, 0), 0)
    assert identifier == "50000000000000_20260701120000_0"
    assert len(identifier) == 31
    assert cap.is_valid_identifier(identifier)


def test_identifier_uses_beijing_time():
    utc = dt.datetime(2026, 7, 1, 4, 0, 0, tzinfo=dt.UTC)
    assert cap.make_identifier("50000000000000", utc, 3) == "50000000000000_20260701120000_3"


@pytest.mark.parametrize("identifier", [
    "50000000000000_20260701120000_", "50000000000000_20260701120000_10", "5000000000000_20260701120000_0",
    "500000000000000_20260701120000_0", "50000000000000_2026070112000_0", "50000000000000_20261301120000_0", ""])
def test_identifier_wrong_shapes_invalid(identifier):
    assert not cap.is_valid_identifier(identifier)


@pytest.mark.parametrize("code, sequence", [("5000000000000", 0), ("500000000000000", 0), ("5000000000000A", 0),
                                            ("50000000000000", 10), ("50000000000000", -1)])
def test_make_identifier_rejects_bad_input(code, sequence):
    with pytest.raises(cap.CapError):
        cap.make_identifier(code, T0, sequence)


def test_severity_mapping():
    assert cap.SEVERITY_BY_LEVEL == {"blue": "Minor", "yellow": "Moderate", "orange": "Severe", "red": "Extreme"}
    for level, severity in cap.SEVERITY_BY_LEVEL.items():
        parsed = cap.parse(alert_xml(level=level))
        assert parsed.severity == severity and parsed.level == level


def test_hazard_names_match_model():
    from citysafe.early_warning.models import HazardType

    assert set(cap.HAZARD_NAMES_ZH) == set(HazardType.values)
    assert set(cap.CATEGORY_BY_HAZARD) == set(HazardType.values)


def test_polygon_closed_and_lat_lon_order():
    open_ring = [[106.5, 29.5], [106.6, 29.5], [106.6, 29.6]]
    text = cap.ring_to_cap(open_ring)
    pairs = text.split()
    assert pairs[0] == pairs[-1] == "29.5,106.5"
    assert len(pairs) == 4
    assert cap.polygon_errors(text) == []
    assert cap.cap_polygon_to_geojson(text)["coordinates"][0][0] == [106.5, 29.5]
    assert cap.polygons_to_cap(SQUARE) == ["29.5,106.5 29.5,106.6 29.6,106.6 29.6,106.5 29.5,106.5"]


def test_polygon_errors():
    assert cap.polygon_errors("29.5,106.5 29.5,106.6 29.6,106.6 29.6,106.5")  # open
    assert cap.polygon_errors("29.5,106.5 29.5,106.6 29.5,106.5")  # 3 pairs
    assert cap.polygon_errors("95,106.5 29.5,106.6 29.6,106.6 95,106.5")  # latitude out of range
    assert cap.polygon_errors("29.5;106.5 29.5,106.6 29.6,106.6 29.5;106.5")  # malformed
    with pytest.raises(cap.CapError):
        cap.ring_to_cap([[106.5, 29.5], [106.6, 29.5], [106.5, 29.5]])


@pytest.mark.parametrize("msg_type", ["Alert", "Update", "Cancel"])
def test_generated_messages_valid_against_xsd(msg_type):
    refs = [] if msg_type == "Alert" else [reference_to(alert_xml())]
    xml = alert_xml(identifier=cap.make_identifier(OTHER_SENDER, T0, 1), msg_type=msg_type, references=refs)
    schema = etree.XMLSchema(etree.parse(str(cap.SCHEMA_PATH)))
    schema.assertValid(etree.fromstring(xml.encode()))
    assert cap.validate(xml) == []
    assert "<sent>2026-07-01T12:00:00+08:00</sent>" in xml
    if refs:
        assert f"<references>{OTHER_SENDER},{refs[0][1]},2026-07-01T12:00:00+08:00</references>" in xml


def test_round_trip():
    xml = alert_xml(msg_type="Update", references=[reference_to(alert_xml())],
                    identifier=cap.make_identifier(OTHER_SENDER, T0, 2), hazard_type="gale", level="red",
                    headline="大风红色预警")
    parsed = cap.parse(xml)
    assert parsed.identifier == f"{OTHER_SENDER}_20260701120000_2"
    assert parsed.sender == OTHER_SENDER and parsed.sent == T0 and parsed.msg_type == "Update"
    assert parsed.references == [cap.CapReference(OTHER_SENDER, f"{OTHER_SENDER}_20260701120000_0",
                                                  "2026-07-01T12:00:00+08:00")]
    assert parsed.event == "大风" and parsed.event_codes == [("CMA", "05")] and parsed.hazard_type == "gale"
    assert parsed.level == "red" and parsed.severity == "Extreme"
    assert parsed.onset == T0 and parsed.expires == T0 + dt.timedelta(days=3650)
    assert parsed.headline == "大风红色预警" and parsed.instruction.startswith("停止")
    assert parsed.description == "3 小时内降雨量将达 50 毫米以上"
    assert parsed.area_desc == "渝中区" and parsed.adcodes == ["500103"]
    assert parsed.geometry == SQUARE
    assert parsed.sender_name == "渝中区气象局" and parsed.language == "zh-CN"


TOLERANT = """\ufeff
  <?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.1">
  <identifier>  CQ-2026-0001 </identifier>
  <sender>cqmet@example.cn</sender>
  <sent> 2026-07-01T12:00:00+08:00 </sent>
  <status>Actual</status>
  <msgType> Alert </msgType>
  <scope>Public</scope>
  <info>
    <language>en-US</language><category>Met</category><event>Heat</event><urgency>Expected</urgency>
    <severity>Unknown</severity><certainty>Likely</certainty><headline>English</headline>
  </info>
  <info>
    <language>zh-CN</language>
    <category>Met</category>
    <event>高温</event>
    <urgency>Expected</urgency>
    <severity>Unknown</severity>
    <certainty>Likely</certainty>
    <onset>2026-07-01T12:00:00+08:00</onset>
    <senderName>重庆市气象台</senderName>
    <headline>重庆市气象台发布高温红色预警信号</headline>
    <description>未来24小时最高气温将升至40℃以上</description>
    <instruction>停止户外露天作业</instruction>
    <area><areaDesc>万州区</areaDesc>
      <polygon> 30.7,108.3 30.7,108.5
        30.9,108.5 30.7,108.3 </polygon>
      <geocode><valueName>GB/T 2260</valueName><value>500101</value></geocode></area>
  </info>
</alert>
"""


def test_parse_tolerant_input():
    parsed = cap.parse(TOLERANT)
    assert parsed.identifier == "CQ-2026-0001" and parsed.msg_type == "Alert"
    assert parsed.info_count == 2 and parsed.language == "zh-CN"
    assert parsed.hazard_type == "high_temperature"
    assert parsed.level == "red"  # from 红色 in the headline, severity being Unknown
    assert parsed.adcodes == ["500101"]
    assert parsed.polygons[0]["coordinates"][0][0] == [108.3, 30.7]
    assert cap.validate(TOLERANT)  # strict: CAP 1.1 namespace fails the 1.2 XSD
    assert cap.validate(cap.normalize(TOLERANT)) == []


def test_parse_namespace_less_and_bytes():
    xml = alert_xml().replace(' xmlns="urn:oasis:names:tc:emergency:cap:1.2"', "")
    parsed = cap.parse(b"\xef\xbb\xbf" + xml.encode("utf-8"))
    assert parsed.namespace is None and parsed.level == "orange" and parsed.hazard_type == "rainstorm"
    assert cap.validate(cap.normalize(xml)) == []


@pytest.mark.parametrize("event, codes, expected", [
    ("暴雨", [], "rainstorm"), ("", [("CMA", "02")], "rainstorm"), ("大风", [], "gale"), ("", [("CMA", "05")], "gale"),
    ("高温", [], "high_temperature"), ("", [("CMA", "0704")], "high_temperature"), ("地质灾害气象风险", [], "landslide"),
    ("洪水", [], "flood"), ("山洪灾害", [], "flash_flood"), ("雷雨大风", [], "gale"), ("台风", [], "other")])
def test_hazard_guess(event, codes, expected):
    assert cap.guess_hazard_type(event, codes) == expected


def test_level_sources():
    assert cap.level_from_info("Unknown", [("level", "橙色")]) == "orange"
    assert cap.level_from_info("Minor", []) == "blue"
    assert cap.level_from_info("Unknown", [], [("CMA", "0203")]) == "orange"
    assert cap.level_from_info("Unknown", [], [], ["暴雨黄色预警信号"]) == "yellow"
    assert cap.level_from_info("Unknown", [], [], ["暴雨预警"]) is None


def test_validate_rejections():
    assert any("XML" in e for e in cap.validate("<alert><identifier>"))
    no_info = alert_xml()
    root = etree.fromstring(no_info.encode())
    root.remove(root.find(f"{{{cap.CAP_NS}}}info"))
    errors = cap.validate(etree.tostring(root))
    assert any("info" in e for e in errors)
    assert any("references" in e for e in cap.validate(alert_xml(msg_type="Update")))
    assert any("references" in e for e in cap.validate(alert_xml(msg_type="Cancel")))
    open_polygon = alert_xml().replace("29.6,106.5 29.5,106.5", "29.6,106.5")
    assert any("闭合" in e for e in cap.validate(open_polygon))
    no_measures = alert_xml(instruction="")
    assert any("instruction" in e for e in cap.validate(no_measures))


def test_validate_own_identifier_format():
    ours = alert_xml(sender="50000000000000", identifier="50000000000000_2026070112000_0")
    assert any("GB/T 35965.1" in e for e in cap.validate(ours, own_senders={"50000000000000"}))
    foreign = alert_xml(sender="cqmet@example.cn", identifier="CQ-1")
    assert cap.validate(foreign, own_senders={"50000000000000"}) == []


def test_parser_refuses_entities():
    evil = ('<?xml version="1.0"?><!DOCTYPE alert [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            '<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&x;</identifier></alert>')
    with pytest.raises(cap.CapError):
        cap.parse(evil)


def test_change_to_cap_message_types():
    base = {"time": "2026-07-01T12:00:00+08:00", "device": 12, "kind": "raised", "hazard": "rainstorm",
            "rule": "rain_1h", "value": 55.0}
    raised = cap.change_to_cap({**base, "level": "yellow", "previous_level": "none"}, sequence=0)
    assert cap.parse(raised).msg_type == "Alert" and cap.validate(raised) == []
    upgraded = cap.change_to_cap({**base, "kind": "upgraded", "level": "red", "previous_level": "yellow"}, sequence=1)
    assert cap.parse(upgraded).msg_type == "Update"
    assert any("references" in e for e in cap.validate(upgraded))  # the caller supplies references
    with_refs = cap.change_to_cap({**base, "level": "red", "previous_level": "yellow"}, sequence=1,
                                  references=[reference_to(raised)])
    assert cap.validate(with_refs) == []
    cleared = cap.change_to_cap({**base, "kind": "cleared", "level": "none", "previous_level": "red"}, sequence=2,
                                references=[reference_to(raised)])
    parsed = cap.parse(cleared)
    assert parsed.msg_type == "Cancel" and parsed.level == "red" and cap.validate(cleared) == []
    assert parsed.identifier == "50000000000000_20260701120000_2"


# --- database --------------------------------------------------------------------------------------------------

@pytest.fixture
def services(reference):
    from citysafe.early_warning import cap_services

    return cap_services


def test_import_alert_update_cancel(services, admin_user):
    from citysafe.early_warning.models import EarlyWarning

    first = alert_xml(level="yellow")
    message = services.import_cap(first.encode(), user=admin_user)
    assert message.is_valid and message.errors == "" and message.direction == "in"
    warning = message.warning
    assert warning.status == "active" and warning.is_public and warning.level == "yellow"
    assert warning.source_key == f"cap:{OTHER_SENDER}:{OTHER_SENDER}_20260701120000_0"
    assert warning.hazard_type == "rainstorm" and warning.region.adcode == "500103"
    assert warning.polygon == SQUARE and warning.created_by == admin_user
    assert list(warning.events.values_list("kind", flat=True)) == ["raised"]
    assert warning.history.first().history_user == admin_user

    update = alert_xml(identifier=cap.make_identifier(OTHER_SENDER, T0 + dt.timedelta(hours=1), 0),
                       sent=T0 + dt.timedelta(hours=1), msg_type="Update", references=[reference_to(first)],
                       level="red", headline="渝中区暴雨红色预警")
    message = services.import_cap(update)
    assert message.is_valid and message.warning_id == warning.pk
    warning.refresh_from_db()
    assert warning.level == "red" and warning.headline == "渝中区暴雨红色预警"
    assert warning.events.last().kind == "upgraded" and warning.events.last().previous_level == "yellow"

    cancel_sent = T0 + dt.timedelta(hours=2)
    cancel = alert_xml(identifier=cap.make_identifier(OTHER_SENDER, cancel_sent, 0), sent=cancel_sent,
                       msg_type="Cancel", references=[reference_to(first), reference_to(update)], level="red")
    message = services.import_cap(cancel)
    assert message.is_valid
    warning.refresh_from_db()
    assert warning.status == "cancelled" and warning.ended_at == cancel_sent
    assert warning.events.last().kind == "cancelled"
    assert EarlyWarning.objects.count() == 1


def test_import_update_downgrades(services):
    first = alert_xml(level="red")
    warning = services.import_cap(first).warning
    update = alert_xml(identifier=cap.make_identifier(OTHER_SENDER, T0, 1), msg_type="Update",
                       references=[reference_to(first)], level="blue")
    services.import_cap(update)
    warning.refresh_from_db()
    assert warning.level == "blue" and warning.events.last().kind == "downgraded"


@pytest.mark.parametrize("xml, reason", [
    ("<alert><identifier>x</identifier>", "XML"),
    (alert_xml(msg_type="Update"), "references"),
    (alert_xml().replace("29.6,106.5 29.5,106.5", "29.6,106.5"), "闭合"),
    (alert_xml(description=""), "description"),
])
def test_import_invalid_kept_with_reason(services, xml, reason):
    from citysafe.early_warning.models import CapMessage, EarlyWarning

    message = services.import_cap(xml)
    assert message.pk and not message.is_valid and reason in message.errors
    assert message.warning is None and message.xml == xml
    assert CapMessage.objects.filter(pk=message.pk).exists()
    assert not EarlyWarning.objects.exists()


def test_import_missing_info_rejected(services):
    from citysafe.early_warning.models import EarlyWarning

    root = etree.fromstring(alert_xml().encode())
    root.remove(root.find(f"{{{cap.CAP_NS}}}info"))
    message = services.import_cap(etree.tostring(root))
    assert not message.is_valid and "info" in message.errors
    assert not EarlyWarning.objects.exists()


def test_import_duplicate_idempotent(services):
    from citysafe.early_warning.models import CapMessage, EarlyWarning, WarningEvent

    xml = alert_xml()
    first = services.import_cap(xml)
    again = services.import_cap(xml.encode())
    assert again.pk == first.pk
    assert CapMessage.objects.count() == 1 and EarlyWarning.objects.count() == 1 and WarningEvent.objects.count() == 1
    bad = "<alert><identifier>x"
    assert services.import_cap(bad).pk == services.import_cap(bad).pk
    assert CapMessage.objects.filter(is_valid=False).count() == 1


def test_import_tolerant_cap11(services):
    message = services.import_cap(TOLERANT.encode("utf-8"))
    assert message.is_valid, message.errors
    assert message.warning.level == "red" and message.warning.hazard_type == "high_temperature"
    assert message.warning.region.adcode == "500101"


def test_import_test_status_creates_no_warning(services):
    message = services.import_cap(alert_xml(status="Test"))
    assert message.is_valid and message.warning is None and "Test" in message.errors


def test_warning_to_cap_alert_update_cancel(services, admin_user):
    from citysafe.core.models import Region
    from citysafe.early_warning.models import EarlyWarning

    region = Region.objects.get(adcode="500101")
    warning = EarlyWarning.objects.create(
        source_key="manual:1", hazard_type="rainstorm", level="yellow", headline="万州区暴雨黄色预警",
        description="未来 6 小时降雨量将达 50 毫米以上", instruction="做好防御准备", region=region, is_public=True)
    alert = services.warning_to_cap(warning, "Alert", user=admin_user)
    assert alert.direction == "out" and alert.is_valid and alert.msg_type == "Alert"
    assert cap.is_valid_identifier(alert.identifier) and alert.identifier.startswith("50000000000000_")
    assert cap.validate(alert.xml) == []
    parsed = cap.parse(alert.xml)
    assert parsed.adcodes == ["500101"] and parsed.area_desc == "万州区"
    ring = parsed.polygons[0]["coordinates"][0]
    assert 4 <= len(ring) <= 100 and ring[0] == ring[-1]
    warning.refresh_from_db()
    assert warning.cap_identifier == alert.identifier

    warning.level = "orange"
    warning.save()
    update = services.warning_to_cap(warning, "Update")
    assert update.identifier != alert.identifier
    assert cap.parse(update.xml).references == [cap.CapReference(alert.sender, alert.identifier,
                                                                 cap.cap_time(alert.sent))]
    cancel = services.warning_to_cap(warning, "Cancel")
    refs = cap.parse(cancel.xml).references
    assert [r.identifier for r in refs] == [alert.identifier, update.identifier]
    assert cap.validate(cancel.xml) == []


def test_warning_to_cap_update_needs_alert_first(services):
    from citysafe.early_warning.models import EarlyWarning

    warning = EarlyWarning.objects.create(source_key="manual:2", hazard_type="gale", level="blue", headline="大风",
                                          area_desc="渝中区", description="大风", instruction="加固")
    with pytest.raises(cap.CapError):
        services.warning_to_cap(warning, "Update")


def test_simplified_polygon_of_multipolygon(services):
    from citysafe.core.models import Region

    region = Region.objects.get(adcode="500000")  # the city: a MultiPolygon with many points
    polygon = services.simplified_polygon(region.boundary)
    ring = polygon["coordinates"][0]
    assert polygon["type"] == "Polygon" and 4 <= len(ring) <= 100 and ring[0] == ring[-1]
    assert cap.polygon_errors(cap.ring_to_cap(ring)) == []


# --- views -----------------------------------------------------------------------------------------------------

def _public_and_private(services):
    from citysafe.early_warning.models import EarlyWarning

    kwargs = dict(hazard_type="rainstorm", level="orange", description="暴雨", instruction="防御", area_desc="渝中区")
    public = EarlyWarning.objects.create(source_key="manual:p", headline="公开的暴雨预警", is_public=True, **kwargs)
    private = EarlyWarning.objects.create(source_key="manual:q", headline="内部的暴雨预警", **kwargs)
    ended = EarlyWarning.objects.create(source_key="manual:r", headline="已解除的暴雨预警", is_public=True,
                                        status="cleared", **kwargs)
    for warning in (public, private, ended):
        services.warning_to_cap(warning)
    return public, private, ended


def test_atom_feed_lists_public_active(services, client):
    from django.urls import reverse

    public, private, ended = _public_and_private(services)
    response = client.get(reverse("early_warning:cap_feed"))
    assert response.status_code == 200 and "atom" in response["Content-Type"]
    feed = etree.fromstring(response.content)
    atom = "{http://www.w3.org/2005/Atom}"
    entries = feed.findall(f"{atom}entry")
    assert [e.findtext(f"{atom}title") for e in entries] == ["公开的暴雨预警"]
    link = entries[0].find(f"{atom}link").get("href")
    assert link.endswith(reverse("early_warning:cap_xml", args=[public.pk]))


def test_cap_xml_view(services, client, admin_user):
    from django.urls import reverse

    public, private, _ended = _public_and_private(services)
    response = client.get(reverse("early_warning:cap_xml", args=[public.pk]))
    assert response.status_code == 200 and response["Content-Type"].startswith("application/cap+xml")
    assert cap.validate(response.content) == []
    assert cap.parse(response.content).headline == "公开的暴雨预警"
    assert client.get(reverse("early_warning:cap_xml", args=[private.pk])).status_code == 404
    assert client.get(reverse("early_warning:cap_xml", args=[999999])).status_code == 404
    client.force_login(admin_user)  # municipal: may read the CAP of a non-public warning
    assert client.get(reverse("early_warning:cap_xml", args=[private.pk])).status_code == 200


def test_cap_xml_view_serves_received_message(services, client):
    from django.urls import reverse

    xml = alert_xml()
    warning = services.import_cap(xml).warning
    response = client.get(reverse("early_warning:cap_xml", args=[warning.pk]))
    assert response.status_code == 200 and response.content.decode() == xml


def test_import_update_or_cancel_of_unknown_warning(services):
    first = alert_xml()  # never received
    update = alert_xml(identifier=cap.make_identifier(OTHER_SENDER, T0, 1), msg_type="Update",
                       references=[reference_to(first)], level="red")
    message = services.import_cap(update)
    assert message.is_valid and message.warning.level == "red"
    assert message.warning.source_key == f"cap:{OTHER_SENDER}:{OTHER_SENDER}_20260701120000_0"
    cancel = alert_xml(identifier=cap.make_identifier(OTHER_SENDER, T0, 2), msg_type="Cancel",
                       references=[reference_to(first)])
    assert services.import_cap(cancel).warning.status == "cancelled"
    orphan = alert_xml(identifier="other-3", msg_type="Cancel", references=[("x", "y", "2026-07-01T12:00:00+08:00")])
    message = services.import_cap(orphan)
    assert message.is_valid and message.warning is None and message.errors


def test_cap_import_page(client, admin_user, fire_dept, yuzhong):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    url = reverse("early_warning:cap_import")
    assert client.get(url).status_code == 302  # login first
    client.force_login(yuzhong)
    assert client.get(url).status_code == 403
    client.force_login(fire_dept)
    assert client.get(url).status_code == 200
    upload = SimpleUploadedFile("alert.xml", alert_xml().encode(), content_type="application/xml")
    response = client.post(url, {"file": upload})
    assert response.status_code == 200 and b'data-testid="cap-valid"' in response.content
    response = client.post(url, {"text": alert_xml(msg_type="Cancel", identifier="x-2")})
    page = response.content.decode()
    assert 'data-testid="cap-invalid"' in page and "references" in page


def test_import_with_an_overflowing_time_is_rejected_not_a_crash(services):
    bad = alert_xml().replace(cap.cap_time(T0), "9999-12-31T23:59:59-23:59", 1)
    message = services.import_cap(bad)
    assert not message.is_valid and message.errors
