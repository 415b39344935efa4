"""Genstande: the pure calculation and the widget (no kernel needed)."""

import pytest

from rusfokus.genstande import (
    PRESET_BY_KEY,
    GenstandeInputError,
    genstande_per_drink,
    grams,
    verdict,
    week_total,
)
from rusfokus.genstande_app import GenstandeApp


def test_one_genstand_is_12_gram_and_standard_drinks():
    assert grams(1) == 12
    assert genstande_per_drink(33, 4.6) == pytest.approx(1.012, abs=0.001)
    assert genstande_per_drink(12, 12) == pytest.approx(0.96)
    assert genstande_per_drink(4, 40) == pytest.approx(1.0667, abs=0.001)
    assert genstande_per_drink(75, 12) == pytest.approx(6.0)


def test_danish_decimal_comma_is_accepted():
    assert genstande_per_drink("33", "4,6") == pytest.approx(1.012, abs=0.001)


@pytest.mark.parametrize("cl,vol", [(0, 5), (-1, 5), (33, 0), (33, 97), (501, 5), ("abc", 5), (33, None), (float("nan"), 5), (True, 5)])
def test_bad_input_gives_danish_error(cl, vol):
    with pytest.raises(GenstandeInputError) as exc:
        genstande_per_drink(cl, vol)
    assert any(w in str(exc.value) for w in ("skal være", "mellem"))


def test_week_exactly_at_limits_is_within_advice():
    # 10 glasses of wine at 12 cl / 12 % = 9.6 genstande; 4 on Friday = 3.84
    r = week_total([(12, 12, [1, 1, 1, 1, 4, 1, 1])])
    assert r.week == pytest.approx(9.6)
    assert not r.over_week and r.days_over == ()
    assert r.within_advice


def test_week_over_ten_and_a_day_over_four():
    r = week_total([(33, 4.6, [0, 0, 0, 0, 6, 5, 0]), (12, 12, [1, 0, 0, 0, 0, 0, 0])])
    assert r.per_day[4] == pytest.approx(6.07, abs=0.01)
    assert r.over_week
    assert r.days_over == ("Fredag", "Lørdag")
    text = " ".join(verdict(r))
    assert "mere end Sundhedsstyrelsens råd om højst 10" in text
    assert "fredag, lørdag" in text
    assert "Intet alkoholforbrug er risikofrit" in text


def test_counts_must_be_whole_numbers_for_seven_days():
    with pytest.raises(GenstandeInputError):
        week_total([(33, 4.6, [1, 2, 3])])
    with pytest.raises(GenstandeInputError):
        week_total([(33, 4.6, [1, 0, 0, 0, 0, 0, -1])])
    with pytest.raises(GenstandeInputError):
        week_total([(33, 4.6, [1.5, 0, 0, 0, 0, 0, 0])])


def test_widget_recomputes_when_values_change():
    app = GenstandeApp()
    assert "0,0 genstande" in app.result.value
    row = app.rows[0]  # almindelig øl
    row.days[4].value = 5  # Friday
    assert "5,1 genstande på en uge" in app.result.value
    assert "Mere end 4 genstande på samme dag: fredag" in app.result.value
    row.kind.value = "spiritus"
    assert (row.cl.value, row.vol.value) == (4, 40)
    assert "5,3 genstande på en uge" in app.result.value


def test_widget_editing_cl_switches_to_custom_and_shows_errors_in_danish():
    app = GenstandeApp()
    row = app.rows[1]
    row.cl.value = 20
    assert row.kind.value == "egen"
    row.vol.value = 0
    assert 'role="alert"' in app.result.value and "Alkoholprocenten" in app.result.value


def test_widget_rows_are_limited_and_labelled():
    app = GenstandeApp()
    while app.add_row():
        pass
    assert len(app.rows) == 6 and app.add_button.disabled
    for row in app.rows:
        for w in (row.kind, row.cl, row.vol, *row.days):
            assert w.description, "every control needs a Danish accessible name"


def test_presets_match_the_rule_of_thumb():
    assert PRESET_BY_KEY["oel"].cl == 33 and PRESET_BY_KEY["oel"].vol == 4.6
    assert PRESET_BY_KEY["vin-glas"].cl == 12
    assert PRESET_BY_KEY["spiritus"].cl == 4
