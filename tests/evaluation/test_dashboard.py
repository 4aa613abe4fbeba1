"""The KPI dashboard, API and exports, with scoping and bad input."""

import datetime as dt
import io

import openpyxl
import pytest
from django.core.management import call_command

from citysafe.core.models import Region
from citysafe.evaluation import demo, kpi_services
from citysafe.records.models import AccidentRecord
from citysafe.workplans.models import Target

pytestmark = pytest.mark.django_db
Q = {"as_of": "2026-06-30"}


def region(adcode):
    return Region.objects.filter(adcode=adcode).order_by("-valid_from").first()


@pytest.fixture
def records(plan):
    kpi_services.link_plan_kpis(plan)
    AccidentRecord.objects.create(title="渝中事故", occurred_on=dt.date(2026, 3, 1), region=region("500103"),
                                  grade="large", deaths=2)
    AccidentRecord.objects.create(title="万州事故", occurred_on=dt.date(2026, 3, 2), region=region("500101"),
                                  grade="large", deaths=7)
    return plan


def test_dashboard_city(client, admin_user, records):
    client.force_login(admin_user)
    response = client.get("/evaluation/", Q)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-kpi="accident_deaths"' in body and "kpi-trend" in body and "kpi-choropleth" in body
    tiles = {t["code"]: t for t in response.context["tiles"]}
    assert tiles["accident_deaths"]["value"] == 9
    assert tiles["large_accidents"]["target"] == "≤ 10起"
    assert response.context["choropleth"]["万州区"] == 7
    response = client.get("/evaluation/", {**Q, "region": "500101", "map": "accidents"})
    assert {t["code"]: t["value"] for t in response.context["tiles"]}["accident_deaths"] == 7
    assert response.context["map_metric"] == "accidents"


def test_dashboard_district_sees_only_its_own(client, yuzhong, records):
    client.force_login(yuzhong)
    response = client.get("/evaluation/", Q)
    assert response.status_code == 200
    assert {t["code"]: t["value"] for t in response.context["tiles"]}["accident_deaths"] == 2
    assert set(response.context["choropleth"]) == {"渝中区"}
    assert client.get("/evaluation/", {**Q, "region": "500101"}).status_code == 400


def test_dashboard_bad_input_and_no_scope(client, admin_user, fire_dept, enterprise_user, reference):
    client.force_login(admin_user)
    assert client.get("/evaluation/", {"as_of": "nonsense"}).status_code == 400
    assert client.get("/evaluation/kpis/export/", {**Q, "fmt": "pdf"}).status_code == 400
    client.force_login(fire_dept)  # a municipal department answers for the city-wide KPIs
    assert client.get("/evaluation/").status_code == 200
    client.force_login(enterprise_user)  # an enterprise has no region to total
    assert client.get("/evaluation/").status_code == 403
    client.logout()
    assert client.get("/evaluation/").status_code == 302


def test_exports_open(client, admin_user, records):
    client.force_login(admin_user)
    csv = client.get("/evaluation/kpis/export/", {**Q, "fmt": "csv"}).content.decode("utf-8-sig")
    assert "生产安全事故亡人数" in csv and "指标代码" in csv
    xlsx = client.get("/evaluation/kpis/export/", {**Q, "fmt": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    rows = {r[0]: r for r in sheet.iter_rows(values_only=True)}
    assert rows["accident_deaths"][2] == 9 and rows["large_accidents"][6] == "≤ 10起"
    xlsx = client.get("/evaluation/kpis/districts/export/", {**Q, "fmt": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert ("500101", "万州区", 1, 7) in list(sheet.iter_rows(values_only=True))


def test_api(api_client, token_for, admin_user, yuzhong, records):
    api = api_client(token_for(admin_user))
    data = api.get("/evaluation/kpis", **Q).json()
    assert {k["code"]: k["value"] for k in data["kpis"]}["accident_deaths"] == 9
    trend = api.get("/evaluation/kpis/trend", **Q).json()
    assert trend["accidents"]["this"][2] == 2 and trend["deaths"]["this"][6] is None
    assert api.get("/evaluation/kpis", as_of="2026-02-30").status_code == 400
    mine = api_client(token_for(yuzhong))
    assert {k["code"]: k["value"] for k in mine.get("/evaluation/kpis", **Q).json()["kpis"]}["accident_deaths"] == 2
    assert mine.get("/evaluation/kpis", region="500101", **Q).status_code == 400
    districts = mine.get("/evaluation/kpis/districts", **Q).json()["districts"]
    assert [d["adcode"] for d in districts] == ["500103"]


def test_command_and_demo_hook(records, admin_user):
    call_command("refresh_kpis", "--date", "2026-06-30", stdout=io.StringIO())
    k3 = Target.objects.get(task__plan=records, task__kind="kpi", task__index=3)
    assert k3.status == "on_track" and k3.reports.get().value == 2
    result = demo.prepare(admin_user)
    assert result["linked KPI targets"] == 8
