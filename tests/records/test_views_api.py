"""Pages and API: scoping, exports, forms, resolve."""

import io

from openpyxl import load_workbook

from citysafe.records import crosscheck
from citysafe.records.models import AccidentRecord, Discrepancy


def test_list_filters_totals_and_scope(client, yuzhong, record, wanzhou_record):
    client.force_login(yuzhong)
    page = client.get("/records/")
    assert page.status_code == 200
    body = page.content.decode()
    assert record.title in body and wanzhou_record.title not in body
    assert client.get(f"/records/{wanzhou_record.pk}/").status_code == 404
    assert client.get(f"/records/{record.pk}/").status_code == 200
    assert client.get(f"/records/{wanzhou_record.pk}/edit/").status_code == 404
    assert client.get("/records/?category=forest_fire").content.decode().count(record.title) == 0


def test_list_export(client, admin_user, record, wanzhou_record):
    client.force_login(admin_user)
    response = client.get("/records/?format=xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert {row[2] for row in sheet.iter_rows(min_row=2, values_only=True)} == {record.title, wanzhou_record.title}
    csv = client.get("/records/?format=csv").content.decode("utf-8-sig")
    assert record.title in csv
    assert client.get("/records/?format=pdf").status_code == 400


def test_viewer_cannot_write(client, viewer):
    client.force_login(viewer)
    assert client.get("/records/new/").status_code == 403
    assert client.get("/records/import/").status_code == 403


def test_form_create_and_edit(client, yuzhong, region):
    client.force_login(yuzhong)
    data = {"category": "accident", "title": "表单录入", "occurred_on": "2026-02-03", "region": region("500103").pk,
            "deaths": 1, "missing": 0, "serious_injuries": 0, "injuries": 0, "direct_loss_yuan": "0"}
    response = client.post("/records/new/", data)
    assert response.status_code == 302
    created = AccidentRecord.objects.get(title="表单录入")
    response = client.post(f"/records/{created.pk}/edit/", data | {"region": region("500101").pk})
    assert response.status_code == 200 and response.context["form"].errors.get("region")  # not offered
    created.refresh_from_db()
    assert created.region.adcode == "500103"
    response = client.post(f"/records/{created.pk}/edit/", data | {"deaths": 2})
    assert response.status_code == 200 and "须填写修改原因" in response.content.decode()  # a figure needs a reason
    response = client.post(f"/records/{created.pk}/edit/", data | {"deaths": 2, "reason": "医院核实"})
    created.refresh_from_db()
    assert response.status_code == 302 and created.deaths == 2


def test_pages_render(client, admin_user, record, event):
    client.force_login(admin_user)
    for url in ("/records/disasters/", f"/records/disasters/{event.pk}/", "/records/disasters/statistics/",
                "/records/figures/", "/records/discrepancies/", "/records/import/", "/records/new/",
                f"/records/disasters/{event.pk}/import/"):
        assert client.get(url).status_code == 200, url
    assert client.get("/records/import/template.xlsx").status_code == 200
    assert client.get("/records/disasters/statistics/?year=abc").status_code == 400
    assert client.get("/records/disasters/statistics/?format=xlsx").status_code == 200


def test_resolve_page(client, admin_user, wanzhou, yuzhong, wanzhou_record):
    subject = f"accident:{wanzhou_record.pk}"
    crosscheck.add_source_figure(user=admin_user, subject=subject, metric="deaths", source_kind="police", value=1)
    _f, item = crosscheck.add_source_figure(user=admin_user, subject=subject, metric="deaths",
                                            source_kind="department", value=2)
    client.force_login(yuzhong)
    assert client.post(f"/records/discrepancies/{item.pk}/resolve/", {"value": 2, "reason": "x"}).status_code == 404
    client.force_login(wanzhou)
    client.post(f"/records/discrepancies/{item.pk}/resolve/", {"value": 2, "reason": ""})
    assert Discrepancy.objects.get().status == "open"
    client.post(f"/records/discrepancies/{item.pk}/resolve/", {"value": 2, "reason": "医院核实"})
    assert Discrepancy.objects.get().status == "resolved"


def test_api(api_client, token_for, admin_user, yuzhong, record, wanzhou_record, event):
    yz = api_client(token_for(yuzhong))
    assert [r["id"] for r in yz.get("/records/records").json()] == [record.pk]
    assert yz.get(f"/records/records/{wanzhou_record.pk}").status_code == 404
    response = yz.post("/records/records", {"title": "API 录入", "occurred_on": "2026-01-05", "region_adcode": "500101"})
    assert response.status_code == 403
    response = yz.post("/records/records", {"title": "API 录入", "occurred_on": "2026-01-05", "region_adcode": "500103",
                                            "deaths": 2, "grade": "ordinary"})
    assert response.status_code == 201 and response.json()["region"] == "500103"
    assert yz.post("/records/records", {"title": "x", "occurred_on": "2026-01-05", "deaths": 2**40}).status_code == 422
    assert yz.get("/records/records", format="csv").status_code == 200
    assert yz.get("/records/records/totals").json()["deaths"] == 5
    # disaster reports: own district only
    assert yz.post(f"/records/disaster-events/{event.pk}/reports",
                   {"region_adcode": "500101", "stage": "initial"}).status_code == 403
    assert yz.post(f"/records/disaster-events/{event.pk}/reports",
                   {"region_adcode": "500103", "stage": "initial", "deaths": 1}).status_code == 201
    assert yz.post(f"/records/disaster-events/{event.pk}/reports",
                   {"region_adcode": "500103", "stage": "initial"}).status_code == 400
    stats = yz.get("/records/disaster-statistics").json()
    assert stats["total"]["deaths"] == 1
    # figures and discrepancies
    subject = f"accident:{record.pk}"
    assert yz.post("/records/source-figures", {"subject": subject, "metric": "deaths", "source_kind": "police",
                                               "value": 3}).json()["discrepancy_id"] is None
    found = yz.post("/records/source-figures", {"subject": subject, "metric": "deaths", "source_kind": "hospital",
                                                "value": 4}).json()["discrepancy_id"]
    assert found and [d["id"] for d in yz.get("/records/discrepancies", status="open").json()] == [found]
    assert yz.post(f"/records/discrepancies/{found}/resolve", {"value": 4, "reason": ""}).status_code == 422
    resolved = yz.post(f"/records/discrepancies/{found}/resolve", {"value": 4, "reason": "医院核实"}).json()
    assert resolved["status"] == "resolved" and resolved["resolved_by"] == "yuzhong"
    assert yz.get(f"/records/records/{record.pk}").json()["deaths"] == 4
    assert yz.post("/records/source-figures", {"subject": f"accident:{wanzhou_record.pk}", "metric": "deaths",
                                               "source_kind": "police", "value": 3}).status_code == 403
    assert yz.get("/records/discrepancies", format="xlsx").status_code == 200


def test_event_page_shows_versions_and_statistics(client, admin_user, wanzhou, event, region):
    import datetime as dt

    from django.utils import timezone

    from citysafe.records import services

    for stage, hours, deaths in (("initial", 30, 1), ("follow_up", 20, 2)):
        services.add_disaster_report(user=admin_user, event=event, region=region("500101"), stage=stage, deaths=deaths,
                                     reported_at=timezone.now() - dt.timedelta(hours=hours))
    client.force_login(wanzhou)
    body = client.get(f"/records/disasters/{event.pk}/").content.decode()
    assert "versions-500101" in body and "初报" in body and "续报" in body
    body = client.get(f"/records/disasters/statistics/?year={event.start_date.year}").content.decode()
    assert "因灾死亡人口" in body and "万州区" in body
    response = client.post(f"/records/disasters/{event.pk}/", {"region": region("500103").pk, "stage": "initial"})
    assert response.status_code == 200 and "只能报送本辖区" in response.content.decode()
    assert not services.DisasterReport.objects.filter(region__adcode="500103").exists()
    client.force_login(admin_user)
    response = client.post(f"/records/disasters/{event.pk}/", {"region": region("500101").pk, "stage": "follow_up",
                                                               "deaths": 3})
    assert response.status_code == 302
    assert services.DisasterReport.objects.filter(region__adcode="500101").count() == 3


def test_openapi_lists_the_records_api(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/records/discrepancies/{item_id}/resolve" in paths
