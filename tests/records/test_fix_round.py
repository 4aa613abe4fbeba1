"""Fix round (newcomer review): scope of writes, verified figures, events, filters, grades, dates, labels."""

import datetime as dt
import io

import pytest
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from citysafe.records import crosscheck, importing, selectors, services
from citysafe.records.errors import PermissionDenied, RecordError
from citysafe.records.models import AccidentRecord, Discrepancy, SourceFigure

TODAY = timezone.localdate


def _org(name):
    from citysafe.core.models import Organization

    return Organization.objects.get(name=name)


# 1 ------------------------------------------------------------------------------------------------ write scope
def test_region_and_organisation_must_both_be_in_scope(wanzhou, region):
    base = dict(user=wanzhou, title="越权", occurred_on=TODAY())
    with pytest.raises(PermissionDenied):  # 渝中 region with its own organisation
        services.create_record(**base, region=region("500103"), organization=_org("万州区政府"))
    with pytest.raises(PermissionDenied):  # own region, another district's organisation
        services.create_record(**base, region=region("500101"), organization=_org("渝中区政府"))
    with pytest.raises(RecordError) as err:  # a district user must choose a district
        services.create_record(**base, organization=_org("万州区政府"))
    assert err.value.field == "region"
    record = services.create_record(**base, region=region("500101"), organization=_org("万州区政府"))
    with pytest.raises(PermissionDenied):
        services.update_record(user=wanzhou, record=record, organization=_org("渝中区政府"))
    assert not AccidentRecord.objects.filter(region__adcode="500103").exists()


def test_enterprise_records_are_its_own(enterprise_user, enterprise, region):
    record = services.create_record(user=enterprise_user, title="企业自报", occurred_on=TODAY())
    assert record.region.adcode == "500103" and record.organization == enterprise  # no city-wide record
    with pytest.raises(PermissionDenied):
        services.create_record(user=enterprise_user, title="他区", occurred_on=TODAY(), region=region("500101"))
    with pytest.raises(PermissionDenied):
        services.create_record(user=enterprise_user, title="他单位", occurred_on=TODAY(),
                               organization=_org("渝中区政府"))


def test_form_offers_only_own_organisations_and_districts(client, wanzhou):
    client.force_login(wanzhou)
    form = client.get("/records/new/").context["form"]
    assert set(form.fields["region"].queryset.values_list("adcode", flat=True)) == {"500101"}
    names = set(form.fields["organization"].queryset.values_list("name", flat=True))
    assert "万州区政府" in names and "渝中区政府" not in names


def _xlsx(columns, rows):
    book = Workbook()
    sheet = book.active
    sheet.append([h for h, _f in columns])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_import_checks_organisation_scope(wanzhou):
    row = {"category": "生产安全事故", "title": "导入越权", "occurred_on": "2026-03-01", "region": "万州区",
           "organization": "渝中区政府", "deaths": 1}
    data = _xlsx(importing.RECORD_COLUMNS, [[row.get(f, "") for _h, f in importing.RECORD_COLUMNS]])
    result = importing.import_records(wanzhou, data)
    assert not result.ok and result.errors[0]["column"] == "事发单位" and not AccidentRecord.objects.exists()


# 2 ------------------------------------------------------------------------------------- verified figures
def _incident(user, capture, **figures):
    from citysafe.hazards.models import Industry
    from citysafe.incidents import services as incidents

    with capture(execute=True):
        return incidents.create_incident(user=user, kind="accident", title="脚手架坍塌", lon=106.575, lat=29.557,
                                         occurred_at=timezone.now() - dt.timedelta(hours=3),
                                         reported_at=timezone.now() - dt.timedelta(hours=2),
                                         industry=Industry.objects.get(code="construction_housing"), **figures)


def test_sync_does_not_undo_a_verified_figure(admin_user, django_capture_on_commit_callbacks):
    from citysafe.incidents import services as incidents

    incident = _incident(admin_user, django_capture_on_commit_callbacks, deaths=2)
    record = incident.record
    subject = f"accident:{record.pk}"
    _f, found = crosscheck.add_source_figure(user=admin_user, subject=subject, metric="deaths", source_kind="police",
                                             value=3)
    crosscheck.resolve(user=admin_user, discrepancy=found, value=3, reason="公安核实为3人")
    record.refresh_from_db()
    assert record.deaths == 3
    with django_capture_on_commit_callbacks(execute=True):
        incidents.add_report(user=admin_user, incident=incident, kind="follow_up", deaths=4)
    record.refresh_from_db()
    assert record.deaths == 3  # the verified figure stands
    assert SourceFigure.objects.filter(subject=subject, metric="deaths", source_kind="incident", value=4).exists()
    reopened = Discrepancy.objects.get(subject=subject, metric="deaths", status="open")
    assert {v["value"] for v in reopened.values} == {3, 4}


def test_manual_figure_edit_needs_reason_and_feeds_the_crosscheck(admin_user, record):
    with pytest.raises(RecordError) as err:
        services.update_record(user=admin_user, record=record, deaths=5)
    assert err.value.field == "reason"
    services.update_record(user=admin_user, record=record, deaths=5, reason="补报")
    figure = SourceFigure.objects.get(subject=f"accident:{record.pk}", source_kind="manual")
    assert figure.value == 5 and "补报" in figure.note
    services.update_record(user=admin_user, record=record, title="改名")  # no figure: no reason needed


# 3 ------------------------------------------------------------------------------------------------- events
def test_only_municipal_flags_mass_casualty(enterprise_user, wanzhou, admin_user):
    for user in (enterprise_user, wanzhou):
        with pytest.raises(PermissionDenied):
            services.create_event(user=user, title="x", hazard_type="洪涝", start_date=TODAY(),
                                  is_mass_casualty_responsibility=True)
    event = services.create_event(user=wanzhou, title="万州洪涝", hazard_type="洪涝", start_date=TODAY())
    with pytest.raises(PermissionDenied):
        services.update_event(user=wanzhou, event=event, is_mass_casualty_responsibility=True)
    services.update_event(user=admin_user, event=event, is_mass_casualty_responsibility=True)
    event.refresh_from_db()
    assert event.is_mass_casualty_responsibility and event.history.count() == 2


def test_event_edit_and_withdraw(wanzhou, yuzhong, admin_user, region):
    event = services.create_event(user=wanzhou, title="万州洪涝", hazard_type="洪涝",
                                  start_date=TODAY() - dt.timedelta(days=3))
    with pytest.raises(PermissionDenied):
        services.update_event(user=yuzhong, event=event, title="改")
    services.update_event(user=wanzhou, event=event, title="万州强降雨")
    services.add_disaster_report(user=wanzhou, event=event, region=region("500101"), stage="initial", deaths=2,
                                 reported_at=timezone.now() - dt.timedelta(hours=1))
    assert selectors.disaster_statistics(admin_user)["total"]["deaths"] == 2
    with pytest.raises(RecordError):
        services.withdraw_event(user=wanzhou, event=event, reason=" ")
    services.withdraw_event(user=wanzhou, event=event, reason="重复登记")
    event.refresh_from_db()
    assert event.status == "withdrawn" and selectors.disaster_statistics(admin_user)["total"]["deaths"] == 0
    with pytest.raises(RecordError):
        services.add_disaster_report(user=wanzhou, event=event, region=region("500101"), stage="follow_up")
    with pytest.raises(RecordError):
        services.update_event(user=admin_user, event=event, title="再改")


def test_event_pages_and_api(client, api_client, token_for, wanzhou, yuzhong):
    event = services.create_event(user=wanzhou, title="万州洪涝", hazard_type="洪涝", start_date=TODAY())
    client.force_login(yuzhong)
    assert client.get(f"/records/disasters/{event.pk}/edit/").status_code == 403
    assert "is_mass_casualty_responsibility" not in client.get("/records/disasters/").context["form"].fields
    client.force_login(wanzhou)
    response = client.post(f"/records/disasters/{event.pk}/edit/", {"title": "改名", "hazard_type": "洪涝",
                                                                   "start_date": TODAY().isoformat()})
    assert response.status_code == 302
    api = api_client(token_for(wanzhou))
    assert api.post(f"/records/disaster-events/{event.pk}/withdraw", {"reason": "误报"}).json()["status"] == "withdrawn"
    body = client.get(f"/records/disasters/{event.pk}/").content.decode()
    assert "event-withdrawn" in body and "误报" in body


# 4 ----------------------------------------------------------------------------------------------- filters
def test_invalid_year_filter_shows_an_error(client, admin_user, record):
    client.force_login(admin_user)
    for query in ("year=99999999999999999999", "year=1999", "year=abc", "date_from=2026-13-40"):
        response = client.get(f"/records/?{query}")
        assert response.status_code == 200, query
        body = response.content.decode()
        assert "filter-errors" in body and record.title not in body, query
    assert record.title in client.get(f"/records/?year={record.occurred_on.year}").content.decode()


# 5 ------------------------------------------------------------------------------------------------- grades
def test_grade_follows_the_figures(admin_user, region):
    base = dict(user=admin_user, occurred_on=TODAY(), region=region("500101"))
    with pytest.raises(RecordError) as err:
        services.create_record(**base, title="a", grade="ordinary", deaths=35)
    assert err.value.field == "grade" and "特别重大事故" in str(err.value)
    assert services.create_record(**base, title="b", deaths=35).grade == "especially_major"
    assert services.create_record(**base, title="c", deaths=1, missing=2).grade == "large"  # missing count
    assert services.create_record(**base, title="d", deaths=1, grade="major").grade == "major"  # higher by hand
    record = services.create_record(**base, title="e", deaths=1)
    services.update_record(user=admin_user, record=record, deaths=12, reason="续报")
    assert record.grade == "major"
    services.update_record(user=admin_user, record=record, deaths=2, reason="核减")
    assert record.grade == "ordinary"  # a derived grade follows the figures


# 6 ---------------------------------------------------------------------------------------- disaster reports
def test_report_time_bounds(admin_user, event, region):
    too_early = timezone.make_aware(dt.datetime.combine(event.start_date - dt.timedelta(days=2), dt.time(12)))
    with pytest.raises(RecordError) as err:
        services.add_disaster_report(user=admin_user, event=event, region=region("500101"), stage="initial",
                                     reported_at=too_early)
    assert err.value.field == "reported_at"
    with pytest.raises(RecordError):
        services.add_disaster_report(user=admin_user, event=event, region=region("500101"), stage="initial",
                                     reported_at=timezone.now() + dt.timedelta(hours=1))


def test_templates_example_is_not_imported(admin_user, wanzhou, event):
    assert importing.import_records(admin_user, importing.records_template(admin_user)).created == 0
    assert not AccidentRecord.objects.exists()
    result = importing.import_disaster_reports(wanzhou, event, importing.disaster_template(wanzhou))
    assert result.ok and result.created == 0
    # 10: the example uses the user's own district
    book = load_workbook(io.BytesIO(importing.records_template(wanzhou)))
    assert book.worksheets[0].max_row == 1 and book.worksheets[1]["D2"].value == "万州区"


def test_api_follow_up_carries_omitted_indicators(api_client, token_for, wanzhou, event):
    api = api_client(token_for(wanzhou))
    url = f"/records/disaster-events/{event.pk}/reports"
    assert api.post(url, {"region_adcode": "500101", "stage": "initial", "deaths": 2, "affected_population": 500,
                          "reported_at": (timezone.now() - dt.timedelta(hours=2)).isoformat()}).status_code == 201
    response = api.post(url, {"region_adcode": "500101", "stage": "follow_up", "relocated": 30})
    assert response.status_code == 201, response.content
    assert (response.json()["deaths"], response.json()["affected_population"], response.json()["relocated"]) == \
        (2, 500, 30)


# 7 ------------------------------------------------------------------------------------------- cross-checks
def test_counts_are_whole_numbers_and_no_empty_correction(admin_user, record):
    subject = f"accident:{record.pk}"
    with pytest.raises(RecordError):
        crosscheck.add_source_figure(user=admin_user, subject=subject, metric="missing", source_kind="police",
                                     value=0.5)
    for kind, value in (("department", 1_000_000), ("police", 2_000_000)):
        crosscheck.add_source_figure(user=admin_user, subject=subject, metric="direct_loss_yuan", source_kind=kind,
                                     value=value)
    found = Discrepancy.objects.get(metric="direct_loss_yuan")
    history = record.history.count()
    crosscheck.resolve(user=admin_user, discrepancy=found, value=1_000_000.001, reason="以财务报表为准")
    record.refresh_from_db()
    assert record.history.count() == history and "比对核查更正" not in record.note
    found.refresh_from_db()
    assert "已将" not in found.resolution


# 8 ----------------------------------------------------------------------------------------- Chinese labels
def test_labels_not_codes(client, api_client, token_for, admin_user, record):
    client.force_login(admin_user)
    assert "较大事故" in client.get("/records/").content.decode()
    assert "较大事故" in client.get(f"/records/{record.pk}/").content.decode()
    crosscheck.add_source_figure(user=admin_user, subject=f"accident:{record.pk}", metric="deaths",
                                 source_kind="hospital", value=3)
    _f, found = crosscheck.add_source_figure(user=admin_user, subject=f"accident:{record.pk}", metric="deaths",
                                             source_kind="police", value=4)
    body = client.get("/records/discrepancies/").content.decode()
    assert "<td>死亡</td>" in body and "公安机关" in body
    with pytest.raises(RecordError) as err:
        services.create_record(user=admin_user, title="x", occurred_on=TODAY(), deaths=-1)
    assert str(err.value).startswith("死亡应在")
    with pytest.raises(RecordError) as err:
        services.create_record(user=admin_user, title="x", occurred_on="2026-99-01")
    assert str(err.value).startswith("发生日期")
    api = api_client(token_for(admin_user))
    done = api.post(f"/records/discrepancies/{found.pk}/resolve", {"value": 4, "reason": "公安核实"}).json()
    assert "死亡" in done["resolution"] and "deaths" not in done["resolution"]
    again = api.post(f"/records/discrepancies/{found.pk}/resolve", {"value": 4, "reason": "再次"})
    assert again.status_code == 400 and "该差异已核实" in again.json()["detail"]


# 9 -------------------------------------------------------------------------------------- source attribution
def test_source_organisation_in_scope(wanzhou, wanzhou_record):
    with pytest.raises(PermissionDenied):
        crosscheck.add_source_figure(user=wanzhou, subject=f"accident:{wanzhou_record.pk}", metric="deaths",
                                     source_kind="district", value=1, source_organization=_org("渝中区政府"))
    crosscheck.add_source_figure(user=wanzhou, subject=f"accident:{wanzhou_record.pk}", metric="deaths",
                                 source_kind="district", value=1, source_organization=_org("万州区政府"))
