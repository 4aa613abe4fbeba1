"""The pure part of cross-checking: tolerances and comparison (no database)."""

import pytest

from citysafe.records import crosscheck


def test_people_counts_have_zero_tolerance():
    result = crosscheck.compare("deaths", [3, 4], overrides={})
    assert result.spread == 1 and result.tolerance == 0 and result.exceeds


def test_equal_counts_agree():
    assert not crosscheck.compare("deaths", [3, 3, 3], overrides={}).exceeds


def test_losses_have_five_percent_of_the_max():
    # max 100 → tolerance 5: a spread of 5 is within, 6 is beyond.
    assert not crosscheck.compare("direct_loss_yuan", [95, 100], overrides={}).exceeds
    result = crosscheck.compare("direct_loss_yuan", [94, 100], overrides={})
    assert result.tolerance == pytest.approx(5) and result.exceeds


def test_single_source_never_exceeds():
    assert not crosscheck.compare("deaths", [7], overrides={}).exceeds


@pytest.mark.parametrize(("overrides", "metric", "values", "exceeds"), [
    ({"deaths": 1}, "deaths", [3, 4], False),                          # plain number: absolute for counts
    ({"direct_loss_yuan": 0.1}, "direct_loss_yuan", [91, 100], False),  # plain number: relative for the others
    ({"burned_forest_ha": {"absolute": 0.5}}, "burned_forest_ha", [1.0, 1.6], True),
    ({"deaths": {"relative": 0.5}}, "deaths", [6, 10], False),
])
def test_overrides(overrides, metric, values, exceeds):
    assert crosscheck.compare(metric, values, overrides=overrides).exceeds is exceeds


def test_settings_override_is_read(settings):
    settings.CITYSAFE_CROSSCHECK_TOLERANCE = {"deaths": 2}
    assert crosscheck.tolerance_for("deaths", [1, 3]) == 2


@pytest.mark.parametrize("subject", ["accident:", "accident:x", "disaster:1", "foo:1", "accident:1;drop"])
def test_bad_subjects(subject):
    with pytest.raises(crosscheck.RecordError):
        crosscheck.parse_subject(subject)


def test_subjects_parse():
    assert crosscheck.parse_subject("accident:12") == {"kind": "accident", "record_id": 12}
    assert crosscheck.parse_subject("disaster:3:500101") == {"kind": "disaster", "event_id": 3, "adcode": "500101"}
