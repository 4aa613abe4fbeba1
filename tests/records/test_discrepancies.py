"""Cross-check discrepancies: one open per subject and metric, updates recorded, resolution with reason."""

import pytest

from citysafe.records import crosscheck, selectors
from citysafe.records.errors import PermissionDenied, RecordError
from citysafe.records.models import Discrepancy, SourceFigure


def _add(user, subject, kind, value, metric="deaths"):
    return crosscheck.add_source_figure(user=user, subject=subject, metric=metric, source_kind=kind, value=value)


def test_agreeing_sources_open_nothing(admin_user, record):
    subject = f"accident:{record.pk}"
    _add(admin_user, subject, "department", 3)
    _fig, found = _add(admin_user, subject, "police", 3)
    assert found is None and not Discrepancy.objects.exists()


def test_one_open_discrepancy_updated_with_history(admin_user, record):
    subject = f"accident:{record.pk}"
    _add(admin_user, subject, "department", 3)
    _fig, first = _add(admin_user, subject, "police", 4)
    assert (first.spread, first.tolerance) == (1, 0)
    _fig, second = _add(admin_user, subject, "hospital", 6)
    assert second.pk == first.pk and Discrepancy.objects.count() == 1
    second.refresh_from_db()
    assert second.spread == 3 and len(second.values) == 3
    assert second.history.count() == 2  # created, then updated: the earlier values stay in the history
    # a source's newer value supersedes its older one in the comparison; both rows are kept
    _add(admin_user, subject, "hospital", 4)
    second.refresh_from_db()
    assert sorted(v["value"] for v in second.values) == [3, 4, 4]
    assert SourceFigure.objects.filter(subject=subject, source_kind="hospital").count() == 2


def test_loss_within_five_percent(admin_user, record):
    subject = f"accident:{record.pk}"
    _add(admin_user, subject, "department", 1_000_000, "direct_loss_yuan")
    _fig, found = _add(admin_user, subject, "police", 960_000, "direct_loss_yuan")
    assert found is None
    _fig, found = _add(admin_user, subject, "other", 900_000, "direct_loss_yuan")
    assert found is not None and found.tolerance == pytest.approx(50_000)


def test_resolve_updates_the_record_through_the_service(admin_user, record):
    subject = f"accident:{record.pk}"
    _add(admin_user, subject, "department", 3)
    _fig, found = _add(admin_user, subject, "police", 4)
    with pytest.raises(RecordError):
        crosscheck.resolve(user=admin_user, discrepancy=found, value=4, reason="  ")
    resolved = crosscheck.resolve(user=admin_user, discrepancy=found, value=4, reason="公安机关尸检确认4人")
    record.refresh_from_db()
    assert record.deaths == 4 and "比对核查更正" in record.note
    assert record.history.first().history_user == admin_user
    assert resolved.resolved_by == admin_user and resolved.resolved_at is not None
    assert "由 3 更正为 4" in resolved.resolution
    with pytest.raises(RecordError):
        crosscheck.resolve(user=admin_user, discrepancy=resolved, value=4, reason="again")
    # settled: a new source agreeing with the verified value does not reopen it
    _fig, again = _add(admin_user, subject, "hospital", 4)
    assert again is None


def test_resolve_with_record_value_changes_nothing(admin_user, record):
    subject = f"accident:{record.pk}"
    _add(admin_user, subject, "department", 3)
    _fig, found = _add(admin_user, subject, "police", 5)
    resolved = crosscheck.resolve(user=admin_user, discrepancy=found, value=3, reason="公安数字含另一起事故")
    record.refresh_from_db()
    assert record.deaths == 3 and "更正" not in resolved.resolution


def test_scope_of_figures_and_discrepancies(admin_user, yuzhong, wanzhou, record, wanzhou_record):
    subject = f"accident:{wanzhou_record.pk}"
    _add(admin_user, subject, "department", 1)
    _fig, found = _add(admin_user, subject, "police", 2)
    assert list(selectors.discrepancies_for(wanzhou)) == [found]
    assert not selectors.discrepancies_for(yuzhong).exists()
    assert not selectors.source_figures_for(yuzhong).exists()
    with pytest.raises(PermissionDenied):
        _add(yuzhong, subject, "police", 3)
    with pytest.raises(PermissionDenied):
        crosscheck.resolve(user=yuzhong, discrepancy=found, value=1, reason="x")


def test_bad_figures(admin_user, record):
    subject = f"accident:{record.pk}"
    for kwargs in ({"source_kind": "incident"}, {"metric": "affected_population"}, {"value": -1},
                   {"value": float("nan")}, {"subject": "accident:999999"}, {"subject": "disaster:1"}):
        data = {"subject": subject, "metric": "deaths", "source_kind": "police", "value": 1} | kwargs
        with pytest.raises((RecordError, PermissionDenied)):
            crosscheck.add_source_figure(user=admin_user, **data)
