"""Genstande: the pure calculation and the widget (no kernel needed)."""

import re

import pytest

from rusfokus.apps.genstande import GenstandeApp
from rusfokus.opsporing.genstande import (
    PRESET_BY_KEY,
    PRESETS,
    RULE_TEXT,
    GenstandeInputError,
    fmt,
    genstande_per_drink,
    grams,
    parse_number,
    rounded_per_drink,
    verdict,
    week_total,
)


def test_one_genstand_is_12_gram_and_standard_drinks():
    assert grams(1) == 12
    assert genstande_per_drink(33, 4.6) == pytest.approx(1.012, abs=0.001)
    assert genstande_per_drink(12, 12) == pytest.approx(0.96)
    assert genstande_per_drink(4, 40) == pytest.approx(1.0667, abs=0.001)
    assert genstande_per_drink(75, 12) == pytest.approx(6.0)


def test_each_drink_is_rounded_to_one_decimal_half_up():
    assert rounded_per_drink(33, 4.6) == 1.0
    assert rounded_per_drink(12, 12) == 1.0
    assert rounded_per_drink(4, 40) == 1.1
    assert rounded_per_drink(75, 12) == 6.0
    assert rounded_per_drink(50, 4.6) == 1.5  # 1.5333
    assert rounded_per_drink(15, 5) == 0.5  # exactly 0.5: no float drift
    assert rounded_per_drink(7.5, 5) == 0.3  # 0.25 rounds half up, not to even


def test_four_ordinary_beers_are_four_genstande_not_more_than_four():
    """The page says one beer is one genstand: four on one day must not be 'more than 4'."""
    r = week_total([(33, 4.6, [0, 0, 0, 0, 4, 0, 0])])
    assert r.per_drink == (1.0,) and r.per_day[4] == 4.0 and r.week == 4.0
    assert r.days_over == () and r.within_advice
    assert "Ingen dag har mere end 4 genstande." in verdict(r)
    ten = week_total([(33, 4.6, [2, 1, 1, 1, 2, 2, 1])])
    assert ten.week == 10.0 and not ten.over_week
    five = week_total([(33, 4.6, [0, 0, 0, 0, 5, 0, 0])])
    assert five.days_over == ("Fredag",)


def test_shown_figures_are_the_compared_figures():
    """Whatever the learner sees (one decimal) decides the verdict: 'more than' only if the shown figure is."""
    for drink in PRESETS:
        for n in range(0, 12):
            r = week_total([(drink.cl, drink.vol, [n, 0, 0, 0, 0, 0, 0])])
            shown = float(fmt(r.per_day[0]).replace(",", "."))
            assert shown == pytest.approx(n * float(fmt(r.per_drink[0]).replace(",", ".")))
            assert (r.days_over == ("Mandag",)) == (shown > 4), (drink.key, n)
            assert r.over_week == (shown > 10), (drink.key, n)


@pytest.mark.parametrize(
    "text,number",
    [
        ("5,5", 5.5),
        ("5.5", 5.5),
        (" 4,6 ", 4.6),
        ("4,6 %", 4.6),
        ("33 cl", 33.0),
        ("27,5", 27.5),
        (",5", 0.5),
        ("12", 12.0),
    ],
)
def test_danish_decimal_comma_is_read_as_a_decimal(text, number):
    unit = "%" if "%" in text else "cl" if "cl" in text else ""
    assert parse_number(text, "Tallet", unit) == number


def test_decimal_comma_never_becomes_55():
    assert genstande_per_drink("33", "4,6") == pytest.approx(1.012, abs=0.001)
    assert rounded_per_drink("33", "5,5") == 1.2  # 33 x 5.5 / 150 = 1.21; with 55 it would be 12.1
    r = week_total([("33", "5,5", [1, 0, 0, 0, 0, 0, 0])])
    assert r.week == 1.2


@pytest.mark.parametrize("text", ["5,5,5", "1.000,5", "fem", "4,6 kr", "", "   ", "--3", "4 6"])
def test_malformed_numbers_get_a_danish_message(text):
    with pytest.raises(GenstandeInputError, match="skal være et tal"):
        parse_number(text, "Alkoholprocenten", "%")


@pytest.mark.parametrize(
    "cl,vol,words",
    [
        (0, 5, "mellem 1 og 300 cl"),
        (-1, 5, "mellem 1 og 300 cl"),
        (0.5, 5, "mellem 1 og 300 cl"),
        (301, 5, "mellem 1 og 300 cl"),
        (501, 5, "mellem 1 og 300 cl"),
        (33, 0, "mellem 0,5 og 80 %"),
        (33, 0.2, "mellem 0,5 og 80 %"),
        (33, 97, "mellem 0,5 og 80 %"),
        (33, "550", "mellem 0,5 og 80 %"),
        (200, 40, "over 30 genstande"),
        ("abc", 5, "skal være et tal"),
        (33, None, "skal være et tal"),
        (float("nan"), 5, "skal være et tal"),
        (True, 5, "skal være et tal"),
        (float("inf"), 5, "skal være et tal"),
    ],
)
def test_implausible_or_bad_input_gives_danish_error(cl, vol, words):
    with pytest.raises(GenstandeInputError) as exc:
        genstande_per_drink(cl, vol)
    assert words in str(exc.value)


def test_week_exactly_at_limits_is_within_advice():
    # 10 glasses of wine at 12 cl / 12 % = 10 x 1,0; 4 on Friday = 4,0
    r = week_total([(12, 12, [1, 1, 1, 1, 4, 1, 1])])
    assert r.week == 10.0
    assert not r.over_week and r.days_over == ()
    assert r.within_advice


def test_week_over_ten_and_a_day_over_four():
    r = week_total([(33, 4.6, [0, 0, 0, 0, 6, 5, 0]), (12, 12, [1, 0, 0, 0, 0, 0, 0])])
    assert r.per_day[4] == 6.0
    assert r.week == 12.0 and r.over_week
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


def test_error_names_the_drink_when_there_are_several():
    with pytest.raises(GenstandeInputError, match=r"^Drik 2: Alkoholprocenten"):
        week_total([(33, 4.6, [0] * 7), (12, "120", [0] * 7)])


# --- widget ---------------------------------------------------------------


def test_widget_recomputes_when_values_change():
    app = GenstandeApp()
    assert "0,0 genstande" in app.result.value
    row = app.rows[0]  # almindelig øl
    assert "<strong>1,0</strong> genstande pr. stk." in row.size.value
    row.days[4].value = 4  # Friday
    assert "4,0 genstande på en uge" in app.result.value
    assert "Ingen dag har mere end 4 genstande." in app.result.value
    assert "Mere end 4" not in app.result.value and "rf-over" not in app.result.value
    row.days[4].value = 5
    assert "5,0 genstande på en uge" in app.result.value
    assert "Mere end 4 genstande på samme dag: fredag" in app.result.value
    row.kind.value = "spiritus"
    assert (row.cl.value, row.vol.value) == ("4", "40")
    assert "5,5 genstande på en uge" in app.result.value  # 5 x 1,1


def test_widget_reads_a_danish_decimal_comma():
    app = GenstandeApp()
    row = app.rows[0]
    row.days[0].value = 1
    row.vol.value = "5,5"
    assert row.kind.value == "egen"
    assert "<strong>1,2</strong> genstande pr. stk." in row.size.value
    assert "I alt 1,2 genstande på en uge" in app.result.value
    row.vol.value = "4,6"
    assert "I alt 1,0 genstande på en uge" in app.result.value


def test_widget_editing_cl_switches_to_custom_and_shows_errors_in_danish():
    app = GenstandeApp()
    row = app.rows[1]
    row.cl.value = "20"
    assert row.kind.value == "egen"
    row.vol.value = "0"
    assert (
        'role="alert"' in app.result.value
        and "Drik 2: Alkoholprocenten skal være mellem 0,5 og 80 %" in app.result.value
    )
    assert row.size.value == ""
    row.vol.value = "12"
    assert 'role="alert"' not in app.result.value
    row.cl.value = "1000"
    assert "mellem 1 og 300 cl" in app.result.value
    row.cl.value = "tyve"
    assert "skal være et tal" in app.result.value


def test_widget_states_the_rule_and_whom_the_advice_is_for():
    app = GenstandeApp()
    html = "".join(w.value for w in app.children[0].children if hasattr(w, "value") and isinstance(w.value, str))
    assert RULE_TEXT.split(".")[0] in html and "12 gram ren alkohol" in html
    assert "samme tal" in html
    advice = re.search(r"<p class='rf-note' data-rf='advice'>(.*?)</p>", app.result.value).group(1)
    assert "raske voksne" in advice and "Gravide bør slet ikke drikke alkohol" in advice and "ammende" in advice


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
