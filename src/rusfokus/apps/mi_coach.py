"""The MI coach app: ipywidgets wired to :mod:`rusfokus.mi.coach`."""

from __future__ import annotations

from pathlib import Path

import ipywidgets as widgets

from rusfokus.apps.common import error_html, esc, styled_root
from rusfokus.apps.guard import guarded
from rusfokus.mi.coach import (
    FAGGRUPPE_DA,
    ROUND_SIZE,
    CoachRound,
    Feedback,
    default_items,
    is_good,
    label_da,
    pick_round,
)
from rusfokus.mi.coder import CodingError
from rusfokus.mi.stats import NOT_A_RATING, MitiLite, describe, fmt_pct, fmt_ratio
from rusfokus.settings import Settings

ALL = "alle"
_WIDE = widgets.Layout(width="100%")
_STYLE = {"description_width": "initial"}
EXAMPLE_KIND = {"open_question": "et åbent spørgsmål", "complex_reflection": "en kompleks refleksion"}
LEVEL_WORD = {"god": "God", "rimelig": "Rimelig", "under": "Under rimelig", None: "-"}


class CoachApp(widgets.VBox):
    """Client statement -> learner's answer -> code, why, better example; MITI-lite after the round."""

    def __init__(self, root: str | Path, seed: int | None = None) -> None:
        """``root``: the content root holding module 3's ``coach.yml`` (``settings.content_dir``)."""
        self._seed = seed
        self.items = default_items(root)
        self.faggruppe = widgets.Dropdown(
            # only the faggrupper that have practice statements (the registry may have more)
            options=[("Alle faggrupper", ALL)]
            + [(v, k) for k, v in FAGGRUPPE_DA.items() if any(it.faggruppe == k for it in self.items)],
            value=ALL,
            description="Vælg din faggruppe (udsagn fra den kommer først):",
            style=_STYLE,
            layout=widgets.Layout(width="auto"),
        )
        self.progress = widgets.HTML()
        self.statement = widgets.HTML()
        self.answer = widgets.Textarea(
            value="",
            description="Dit svar til personen:",
            placeholder="Skriv det, du ville sige. Én eller to sætninger.",
            rows=3,
            style=_STYLE,
            layout=_WIDE,
        )
        self.code_button = widgets.Button(
            description="Kod mit svar", tooltip="Få dit svar kodet og forklaret", button_style="primary"
        )
        self.next_button = widgets.Button(description="Næste udsagn", tooltip="Gå videre til næste udsagn")
        self.restart_button = widgets.Button(description="Start en ny runde", tooltip="Start forfra med nye udsagn")
        self.feedback = widgets.HTML()
        self.result = widgets.HTML()
        self.errors = widgets.Output()
        intro = widgets.HTML(
            "<h2>MI-coach: øv dine svar</h2>"
            f"<p>Du får {ROUND_SIZE} korte udsagn fra borgere, forældre og børn. Skriv, hvad du ville svare. "
            "Coachen fortæller, hvilken slags svar det er, "
            "hvorfor, og viser et eksempel på et svar, der passer godt.</p>"
            "<p>Coachen er et regelbaseret værktøj. Den kan tage fejl, især ved lange eller usædvanlige svar. "
            "</p><p data-rf='privacy'>Det, du skriver, bliver kun kodet, mens du er på siden. "
            "Det bliver ikke gemt og ikke skrevet i en log. Skriv ikke navne på borgere.</p>"
        )
        self.code_button.on_click(self._on_code)
        self.next_button.on_click(self._on_next)
        self.restart_button.on_click(self._on_restart)
        self.faggruppe.observe(self._on_restart, names="value")
        buttons = widgets.HBox(
            [self.code_button, self.next_button, self.restart_button], layout=widgets.Layout(flex_flow="row wrap")
        )
        super().__init__(
            [
                styled_root(
                    [
                        intro,
                        self.faggruppe,
                        self.progress,
                        self.statement,
                        self.answer,
                        buttons,
                        self.feedback,
                        self.result,
                        self.errors,
                    ],
                    "MI-coach",
                )
            ]
        )
        self.start_round()

    # -- state -------------------------------------------------------------
    def start_round(self) -> None:
        group = None if self.faggruppe.value == ALL else self.faggruppe.value
        self.round = CoachRound(pick_round(self.items, group, ROUND_SIZE, self._seed))
        self.answer.value = ""
        self.feedback.value = ""
        self.result.value = ""
        self._show_current(coded=False)

    def _show_input(self, visible: bool) -> None:
        for w in (self.statement, self.answer, self.code_button, self.next_button):
            w.layout.display = None if visible else "none"

    def _show_current(self, coded: bool) -> None:
        self._show_input(True)
        item = self.round.current if not coded else self.round.items[self.round.index - 1]
        done = self.round.done and coded
        number = self.round.index if coded else self.round.index + 1
        self.progress.value = f"<p data-rf='progress'><strong>Udsagn {number} af {len(self.round.items)}</strong></p>"
        if item is not None:
            self.statement.value = (
                f"<p class='rf-note'>{esc(FAGGRUPPE_DA[item.faggruppe])}: {esc(item.situation)}</p>"
                f"<blockquote data-rf='client'><p>»{esc(item.client)}«</p></blockquote>"
            )
        self.answer.disabled = coded
        self.code_button.disabled = coded
        self.next_button.disabled = not coded or done
        self.next_button.description = (
            "Se dine tal" if coded and self.round.index == len(self.round.items) else "Næste udsagn"
        )
        if done:
            self.next_button.disabled = False

    # -- callbacks ---------------------------------------------------------
    @guarded()
    def _on_code(self, _button=None) -> None:
        if self.round.done:
            return
        try:
            fb = self.round.answer(self.answer.value)
        except CodingError as exc:
            self.feedback.value = error_html(str(exc))
            return
        self.feedback.value = render_feedback(fb)
        self._show_current(coded=True)

    @guarded()
    def _on_next(self, _button=None) -> None:
        if self.round.done:
            self.statement.value = ""
            self.feedback.value = ""
            self.answer.value = ""
            self.next_button.disabled = True
            self.result.value = render_figures(self.round.figures(), self.round)
            self._show_input(False)
            self.progress.value = "<p data-rf='progress'><strong>Runden er slut</strong></p>"
            return
        self.answer.value = ""
        self.feedback.value = ""
        self._show_current(coded=False)

    @guarded()
    def _on_restart(self, _change=None) -> None:
        self.start_round()


def render_feedback(fb: Feedback) -> str:
    c = fb.coding
    css = "rf-ok" if is_good(c.label) else "rf-over"
    reasons = "".join(f"<li>{esc(r)}</li>" for r in c.reasons)
    child = "".join(f"<p>{esc(line)}</p>" for line in fb.child_note)
    return (
        "<div role='status' aria-live='polite'>"
        + (f"<div class='rf-error' data-rf='child-safety'>{child}</div>" if child else "")
        + f"<p class='{css}' data-rf='label' data-code='{esc(c.label)}'>"
        f"Dit svar er kodet som: {esc(label_da(c.label))}</p>"
        f"<p>Hvorfor:</p><ul>{reasons}</ul>"
        f"<p>{esc(fb.praise)}</p><blockquote data-rf='example'><p>»{esc(fb.example)}«</p></blockquote>"
        f"<p class='rf-note'>Eksemplet er {esc(EXAMPLE_KIND[fb.example_label])}.</p></div>"
    )


def render_figures(m: MitiLite, rnd: CoachRound) -> str:
    rows = [
        ("Refleksioner : spørgsmål", fmt_ratio(m.rq_ratio), "1 : 1", "2 : 1", LEVEL_WORD[m.rq_level]),
        ("Komplekse refleksioner", fmt_pct(m.pct_complex), "40 %", "50 %", LEVEL_WORD[m.complex_level]),
        ("Åbne spørgsmål", fmt_pct(m.pct_open), "-", "-", "-"),
        ("Rette-refleks (antal)", str(m.righting), "-", "-", "-"),
    ]
    body = "".join(
        f"<tr><th scope='row'>{esc(a)}</th>" + "".join(f"<td>{esc(x)}</td>" for x in rest) + "</tr>"
        for a, *rest in rows
    )
    table = (
        "<table class='rf-table' data-rf='figures'><caption>Dine tal i runden (øvetal inspireret af MITI)</caption>"
        "<tr><th scope='col'>Mål</th><th scope='col'>Dit tal</th><th scope='col'>MITI rimelig</th>"
        f"<th scope='col'>MITI god</th><th scope='col'>Dit niveau</th></tr>{body}</table>"
    )
    lines = "".join(f"<li>{esc(s)}</li>" for s in describe(m))
    answers = "".join(f"<li>»{esc(t)}« – {esc(label_da(c.label))}</li>" for t, c in rnd.answers)
    return (
        "<div role='status' aria-live='polite'><h3>Dine tal</h3>"
        f"<p><strong>{esc(NOT_A_RATING)}</strong></p>{table}<ul>{lines}</ul>"
        "<p class='rf-note'>Tallene er inspireret af MITI 4.2.1 (Moyers, Manuel og Ernst 2015), men de er ikke MITI. "
        "MITI 4.2.1 skelner ikke mellem åbne og lukkede spørgsmål. En opsummering tæller som en refleksion. "
        "Se afsnittet »Sådan virker coachen« på siden.</p>"
        f"<details><summary>Se dine svar</summary><ol>{answers}</ol></details></div>"
    )


def build_app(seed: int | None = None, settings: Settings | None = None) -> CoachApp:
    """Entry point of widgets/mi-coach/index.ipynb: the kernel's settings are read once, here."""
    settings = settings or Settings.from_env()
    return CoachApp(settings.content_dir, seed=seed)
