"""The demo: year-on-year deaths, categories, a disaster with three stages, one discrepancy."""

from django.db.models import Sum
from django.utils import timezone

from citysafe.records import demo
from citysafe.records.models import AccidentRecord, DisasterReport, Discrepancy, RegionFigure


def test_demo_records(admin_user):
    summary = demo.prepare(admin_user)
    year = timezone.localdate().year
    deaths = lambda y: AccidentRecord.objects.filter(category="accident", occurred_on__year=y).aggregate(  # noqa: E731
        n=Sum("deaths"))["n"]
    assert deaths(year - 1) == 60 and deaths(year) == 50
    assert AccidentRecord.objects.filter(grade="large").count() >= 3
    assert AccidentRecord.objects.filter(is_secondary=True).count() == 1
    assert AccidentRecord.objects.filter(category="forest_fire", burned_forest_ha__gt=0).exists()
    assert AccidentRecord.objects.filter(category="blackout").count() == 1
    assert AccidentRecord.objects.filter(category="elevator_entrapment").count() == 12
    assert RegionFigure.objects.filter(metric="forest_area_ha", year=year).count() >= 26
    assert set(DisasterReport.objects.values_list("stage", flat=True)) == {"initial", "follow_up", "final"}
    assert not DisasterReport.objects.filter(deaths_at_monitored_points__gt=0).exists()
    assert Discrepancy.objects.filter(status="open").count() == 1
    assert all(r.is_demo for r in AccidentRecord.objects.all())
    assert demo.prepare(admin_user) == {"records": 0}
    assert summary["discrepancies"] == 1


def test_demo_after_incidents_counts_synced_records(admin_user, django_capture_on_commit_callbacks):
    from citysafe.incidents.demo import prepare as prepare_incidents

    with django_capture_on_commit_callbacks(execute=True):
        prepare_incidents(admin_user)
    assert AccidentRecord.objects.filter(source="incident").exists()
    demo.prepare(admin_user)
    year = timezone.localdate().year
    total = AccidentRecord.objects.filter(category="accident", occurred_on__year=year).aggregate(n=Sum("deaths"))["n"]
    assert total == 50
