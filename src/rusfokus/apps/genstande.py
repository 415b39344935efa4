"""The genstandsberegner app: ipywidgets wired to rusfokus.opsporing.genstande."""

from __future__ import annotations

import ipywidgets as widgets
from ipywidgets.widgets.widget_description import DescriptionStyle
from ipywidgets.widgets.widget_string import TextStyle

from rusfokus.apps.common import error_html, esc, styled_root
from rusfokus.opsporing.genstande import (
    CUSTOM,
    DAYS,
    MAX_PER_DAY,
    MAX_PER_WEEK,
    PRESET_BY_KEY,
    PRESETS,
    RULE_TEXT,
    GenstandeInputError,
    fmt,
    fmt_input,
    parse_number,
    rounded_per_drink,
    verdict,
    week_total,
)

MAX_ROWS = 6
# Shared layout and style models: every widget model costs page-load time.
_DAY = widgets.Layout(width="4.9rem")
_NUMBER = widgets.Layout(width="9.5rem")
_KIND = widgets.Layout(width="22rem")
_DAY_STYLE = DescriptionStyle(description_width="2.2rem")
_NUMBER_STYLE = TextStyle(description_width="4.6rem")
_KIND_STYLE = DescriptionStyle(description_width="3.6rem")
_ROW = widgets.Layout(flex_flow="row wrap", align_items="center")


class DrinkRow(widgets.VBox):
    def __init__(self, number: int, preset: str = "oel", on_change=None):
        self.number = number
        options = [(d.name, d.key) for d in PRESETS] + [("Egen drik: skriv cl og %", CUSTOM)]
        self.kind = widgets.Dropdown(
            options=options, value=preset, description=f"Drik {number}", layout=_KIND, style=_KIND_STYLE
        )
        drink = PRESET_BY_KEY[preset]
        # Text, not FloatText: a Danish decimal comma ("4,6") is read in Python as 4.6, whatever the
        # browser's number input would make of it.
        self.cl = widgets.Text(
            value=fmt_input(drink.cl),
            description="Centiliter",
            continuous_update=True,
            layout=_NUMBER,
            style=_NUMBER_STYLE,
            tooltip=f"Drik {number}: mængde i centiliter",
        )
        self.vol = widgets.Text(
            value=fmt_input(drink.vol),
            description="Alkohol %",
            continuous_update=True,
            layout=_NUMBER,
            style=_NUMBER_STYLE,
            tooltip=f"Drik {number}: alkoholprocent, fx 4,6",
        )
        self.size = widgets.HTML()
        self.days = [
            widgets.IntText(
                value=0,
                description=day[:3],
                continuous_update=True,
                layout=_DAY,
                style=_DAY_STYLE,
                tooltip=f"Drik {number}: antal om {day.lower()}en",
            )
            for day in DAYS
        ]
        self._on_change = on_change
        self._syncing = False
        self.kind.observe(self._preset_chosen, names="value")
        for w in (self.cl, self.vol, *self.days):
            w.observe(self._changed, names="value")
        super().__init__(
            [
                widgets.HBox([self.kind, self.cl, self.vol, self.size], layout=_ROW),
                widgets.HBox(self.days, layout=_ROW),
            ],
            layout=widgets.Layout(border_bottom="1px solid #ccc", padding="0.3rem 0"),
        )
        self._show_size()

    def _preset_chosen(self, change):
        if change["new"] == CUSTOM:
            return
        drink = PRESET_BY_KEY[change["new"]]
        self._syncing = True
        try:
            self.cl.value, self.vol.value = fmt_input(drink.cl), fmt_input(drink.vol)
        finally:
            self._syncing = False
        self._changed(None)

    def _changed(self, _change):
        if self._syncing:
            return
        preset = PRESET_BY_KEY.get(self.kind.value)
        if preset is not None and not self._is(preset):
            self.kind.value = CUSTOM
        self._show_size()
        if self._on_change:
            self._on_change()

    def _is(self, drink) -> bool:
        try:
            return (parse_number(self.cl.value, "", "cl"), parse_number(self.vol.value, "", "%")) == (
                drink.cl,
                drink.vol,
            )
        except GenstandeInputError:
            return False

    def _show_size(self):
        try:
            size = rounded_per_drink(self.cl.value, self.vol.value)
        except GenstandeInputError:
            self.size.value = ""
            return
        self.size.value = f"<span>= <strong>{fmt(size)}</strong> genstande pr. stk.</span>"

    def values(self) -> tuple[str, str, list[int]]:
        return self.cl.value, self.vol.value, [d.value for d in self.days]


class GenstandeApp(widgets.VBox):
    """Drinks per day over a week -> genstande per drink, day and week vs 10/4."""

    def __init__(self):
        self.rows: list[DrinkRow] = []
        self.rows_box = widgets.VBox()
        self.add_button = widgets.Button(
            description="Tilføj en drik", icon="", tooltip="Tilføj en række til en drik mere", button_style=""
        )
        self.add_button.on_click(lambda _b: self.add_row())
        self.result = widgets.HTML()
        intro = widgets.HTML(
            "<h2>Genstandsberegner</h2>"
            "<p>Vælg en drik, eller skriv selv centiliter og alkoholprocent, fx 4,6. "
            "Skriv så, hvor mange af drikken der bliver drukket hver dag i en uge. "
            "Resultatet regnes ud med det samme.</p>"
            f"<p class='rf-note' data-rf='rule'>{esc(RULE_TEXT)}</p>"
        )
        self.add_row("oel")
        self.add_row("vin-glas")
        super().__init__([styled_root([intro, self.rows_box, self.add_button, self.result], "Genstandsberegner")])
        self.recompute()

    def add_row(self, preset: str = "oel") -> DrinkRow | None:
        if len(self.rows) >= MAX_ROWS:
            return None
        row = DrinkRow(len(self.rows) + 1, preset, on_change=self.recompute)
        self.rows.append(row)
        self.rows_box.children = tuple(self.rows)
        self.add_button.disabled = len(self.rows) >= MAX_ROWS
        self.recompute()
        return row

    def recompute(self):
        if not hasattr(self, "result"):
            return
        try:
            result = week_total([row.values() for row in self.rows])
        except GenstandeInputError as exc:
            self.result.value = error_html(str(exc))
            return
        head = "".join(f"<th scope='col'>{esc(d[:3])}</th>" for d in DAYS)
        cells = "".join(f"<td class='{'rf-over' if x > MAX_PER_DAY else ''}'>{fmt(x)}</td>" for x in result.per_day)
        table = (
            "<table class='rf-table'><caption>Genstande pr. dag</caption>"
            f"<tr><th scope='col'>Dag</th>{head}<th scope='col'>Uge</th></tr>"
            f"<tr><th scope='row'>Genstande</th>{cells}"
            f"<td class='{'rf-over' if result.over_week else 'rf-ok'}'>"
            f"<strong>{fmt(result.week)}</strong></td></tr></table>"
        )
        sentences = verdict(result)
        css = "rf-ok" if result.within_advice else "rf-over"
        text = f"<p class='{css}' data-rf='verdict'>{esc(sentences[1]) if len(sentences) > 1 else ''}</p>"
        rest = "".join(f"<p>{esc(s)}</p>" for s in sentences[2:])
        advice = (
            f"<p class='rf-note' data-rf='advice'>Sundhedsstyrelsen råder raske voksne til højst {MAX_PER_WEEK} "
            f"genstande om ugen og højst {MAX_PER_DAY} genstande på samme dag. 1 genstand = 12 g ren alkohol. "
            "Rådet gælder ikke for gravide og ammende: Gravide bør slet ikke drikke alkohol, "
            "og ammende skal være forsigtige. Børn og unge under 18 år bør ikke drikke alkohol.</p>"
        )
        self.result.value = (
            f"<div role='status' aria-live='polite'><p data-rf='week'><strong>{esc(sentences[0])}</strong></p>"
            f"{text}{rest}</div>{table}{advice}"
        )


def build_app() -> GenstandeApp:
    return GenstandeApp()
