"""The app "Signal eller støj?" (module 5): ipywidgets wired to :mod:`rusfokus.unge.trainer`.

Only wiring: every decision (answer keys, feedback, the plan, the rules) is
made by :class:`rusfokus.unge.trainer.Session` and :func:`rusfokus.unge.trainer.plan`.
Choices are real ``<button>`` elements; only the current observation's or
question's buttons are on the page, so their names ("Støj", "Signal", "Handl i
dag") are never ambiguous, and feedback is read out (``role="status"``).
"""

from __future__ import annotations

import logging
from pathlib import Path

import ipywidgets as widgets

from rusfokus.apps.common import error_html, esc, styled_root, stylesheet
from rusfokus.apps.guard import guarded
from rusfokus.content import data_dir
from rusfokus.content.loader import DataFileError
from rusfokus.kommune import Kommune, KommuneError, load_kommune
from rusfokus.settings import Settings
from rusfokus.unge.cases import CASES_FILE, MODULE_ID, SVAR, Case, load_cases
from rusfokus.unge.trainer import Feedback, Plan, Result, Session

log = logging.getLogger("rusfokus.apps")

TITLE = "Signal eller støj?"
NO_CASES = (
    "Der er ingen unge at vise lige nu, fordi filen med cases har en fejl. "
    "Bed en nøgleperson om at tjekke den. Fejlen er skrevet i serverens log."
)
NO_KOMMUNE = (
    "Kommunens kontaktoplysninger kunne ikke indlæses. Appen viser derfor ingen navne og telefonnumre. "
    "Spørg din leder, hvem du skal kontakte. Rådene og reglerne gælder stadig."
)

CSS = stylesheet("signal_eller_stoej")


def default_cases_file(root: str | Path) -> Path:
    """The module's cases file under the content root ``root`` (``settings.content_dir``)."""
    return data_dir(MODULE_ID, root) / CASES_FILE


def _p(text: str) -> str:
    return f"<p>{esc(text)}</p>"


def render_feedback(fb: Feedback) -> str:
    cls = "rf-ok" if fb.rigtigt else "rf-over"
    box = "rf-feedback rf-akut" if fb.akut else "rf-feedback"
    warning = '<p><strong class="rf-akut-titel">Handl i dag</strong></p>' if fb.akut else ""
    return (
        f'<div class="{box}" role="status" aria-live="polite" data-rf="feedback">'
        f'<p class="{cls}" data-rf="vurdering">{esc(fb.overskrift)}</p>{warning}{_p(fb.tekst)}</div>'
    )


def render_plan(plan: Plan) -> str:
    parts = []
    if plan.handl_i_dag:
        parts.append(
            '<div class="rf-feedback rf-akut" role="note" aria-label="Handl i dag">'
            '<p><strong class="rf-akut-titel">Handl i dag.</strong> Det kan ikke vente til i morgen.</p></div>'
        )
    parts.append("<h4>Det gør du nu</h4><ol data-rf='nu'>" + "".join(f"<li>{esc(s)}</li>" for s in plan.nu) + "</ol>")
    people = []
    for c in plan.inddrag:
        phone = f" Telefon: <strong>{esc(c.telefon)}</strong>." if c.telefon else ""
        people.append(f"<li><strong>{esc(c.hvem)}</strong>. {esc(c.tekst)}{phone}</li>")
    parts.append("<h4>Hvem du inddrager, i den rækkefølge</h4><ol data-rf='inddrag'>" + "".join(people) + "</ol>")
    # A list, not <dl>: the apps' stylesheet lays dt/dd out side by side, which overlaps on a phone.
    parts.append(
        "<h4>Regler, der gælder</h4><ul class='rf-regler' data-rf='regler'>"
        + "".join(f"<li><strong>{esc(r.ref)}</strong><br>{esc(r.tekst)}</li>" for r in plan.regler)
        + "</ul>"
    )
    return "".join(parts)


def render_answers(case: Case, given: list[str]) -> str:
    rows = []
    for o, svar in zip(case.iagttagelser, given, strict=False):
        verdict = "Rigtigt" if svar == o.svar else "Ikke helt"
        rows.append(
            f"<li>{esc(o.tekst)} <br>Dit svar: {esc(SVAR[svar])}. Det rigtige: {esc(SVAR[o.svar])}. "
            f"<strong>{verdict}.</strong></li>"
        )
    return "<h4>Dine svar</h4><ul data-rf='dine-svar'>" + "".join(rows) + "</ul>"


def render_result(case: Case, session: Session, result: Result) -> str:
    return (
        f'<h3 data-rf="resultat" tabindex="-1">{esc(result.overskrift)}</h3>'
        f"{render_plan(result.plan)}{render_answers(case, session.svar)}"
    )


class SignalEllerStoejApp(widgets.VBox):
    """Pick a young person, sort what a grown-up has seen, answer three questions, read the plan."""

    def __init__(
        self,
        cases_file: str | Path | None = None,
        kommune: Kommune | None = None,
        kommune_file: str | Path | None = None,
    ) -> None:
        """``kommune``, or the file to read it from (``settings.kommune_file``)."""
        if kommune is None and kommune_file is None:
            raise ValueError("SignalEllerStoejApp needs the kommune or its file (settings.kommune_file)")
        self.errors = widgets.Output()  # unexpected errors in a callback (see apps.guard)
        self.notice = widgets.HTML()  # the cases or kommune.yml could not be read; stays while the app is used
        self.kommune = kommune
        self.session: Session | None = None
        self._values: list[str] = []  # the values of the buttons in self.choices, in order
        self.cases: tuple[Case, ...] = ()
        try:
            self.cases = load_cases(cases_file)
        except DataFileError as exc:
            log.error("signal-eller-stoej: cannot load the cases: %s", exc)
        self.by_id = {c.id: c for c in self.cases}
        self.picker = widgets.Dropdown(
            options=[(c.titel, c.id) for c in self.cases],
            description="Vælg en ung",
            layout=widgets.Layout(width="auto", max_width="100%"),
            style={"description_width": "initial"},
        )
        self.start_button = widgets.Button(
            description="Start", button_style="primary", tooltip="Start med den unge, du har valgt"
        )
        self.scene = widgets.HTML()
        self.choices = widgets.HBox(layout=widgets.Layout(flex_flow="row wrap"))
        self.choices.add_class("rf-knapper")
        self.feedback = widgets.HTML()
        self.next_button = widgets.Button(
            description="Næste", tooltip="Gå videre", layout=widgets.Layout(display="none", width="auto")
        )
        self.result = widgets.HTML()
        self.restart_button = widgets.Button(
            description="Prøv den samme unge igen",
            tooltip="Start forfra med den samme unge",
            layout=widgets.Layout(display="none", width="auto"),
        )
        self.start_button.on_click(lambda _b: self.start())
        self.next_button.on_click(lambda _b: self.next())
        self.restart_button.on_click(lambda _b: self.start())
        self.picker.observe(self._picked, names="value")
        intro = widgets.HTML(
            f"<h2>{TITLE}</h2>"
            "<p>Du møder en ung og nogle ting, som en voksen har lagt mærke til.</p>"
            "<p>For hver ting vælger du: Er det støj, et signal, eller skal du handle i dag?</p>"
            "<p>Bagefter svarer du på tre spørgsmål. Til sidst ser du, hvad du gør nu, hvem du inddrager, "
            "og hvilke regler der gælder.</p>"
            "<p>Alle unge i appen er opdigtede.</p>"
        )
        root = styled_root(
            [
                widgets.HTML(CSS),
                intro,
                self.notice,
                widgets.HBox(
                    [self.picker, self.start_button], layout=widgets.Layout(flex_flow="row wrap", align_items="center")
                ),
                self.errors,
                self.scene,
                self.choices,
                self.feedback,
                self.next_button,
                self.result,
                self.restart_button,
            ],
            TITLE,
        )
        root.add_class("rf-signal")
        super().__init__([root])
        if not self.cases:
            self.picker.disabled = self.start_button.disabled = True
            self.notice.value = error_html(NO_CASES)
        if self.kommune is None:
            try:
                self.kommune = load_kommune(kommune_file)
            except KommuneError as exc:
                log.error("signal-eller-stoej: cannot load kommune.yml: %s", exc)
                self.notice.value += error_html(NO_KOMMUNE)

    # ---- steps ----------------------------------------------------------------------------

    def _picked(self, _change) -> None:
        """Another young person is chosen: clear the old run."""
        self.session = None
        self.scene.value = self.feedback.value = self.result.value = ""
        self.choices.children = ()
        self.next_button.layout.display = self.restart_button.layout.display = "none"

    @guarded()
    def start(self) -> None:
        case = self.by_id[self.picker.value]
        self.session = Session(case)
        self.result.value = ""
        self.restart_button.layout.display = "none"
        self._show()

    def _head(self) -> str:
        case = self.session.case
        return (
            f"<h3>{esc(case.titel)}</h3><p><strong>{esc(case.rolle)}</strong></p>"
            f'<div class="rf-situation">{_p(case.intro)}</div>'
        )

    def _buttons(self, options: list[tuple[str, str]], on_choose) -> None:
        buttons = []
        self._values = [value for value, _ in options]
        for value, label in options:
            b = widgets.Button(description=label, tooltip=label, layout=widgets.Layout(width="auto"))
            b.add_class("rf-valg")
            b.on_click(lambda _b, v=value: on_choose(v))
            buttons.append(b)
        self.choices.children = tuple(buttons)

    def _show(self) -> None:
        """The current observation or question, with its buttons."""
        s = self.session
        self.feedback.value = ""
        self.next_button.layout.display = "none"
        if not s.all_sorted:
            o = s.case.iagttagelser[s.index]
            self.scene.value = (
                f"{self._head()}<p data-rf='trin'>Iagttagelse {s.index + 1} af {len(s.case.iagttagelser)}</p>"
                f'<div class="rf-iagttagelse" data-rf="iagttagelse">{_p(o.tekst)}</div>'
                "<p>Er det støj, et signal, eller skal du handle i dag?</p>"
            )
            self._buttons(list(SVAR.items()), self.sort)
            return
        q = s.question
        number = s.questions.index(q) + 1
        self.scene.value = (
            f"{self._head()}<p data-rf='trin'>Spørgsmål {number} af {len(s.questions)}</p>"
            f"<p data-rf='spoergsmaal'><strong>{esc(q.tekst)}</strong></p>"
        )
        self._buttons(list(q.valg), self.answer)

    def _chosen(self, value: str, fb: Feedback) -> None:
        for b, v in zip(self.choices.children, self._values, strict=True):
            b.disabled = True
            if v == value:
                b.add_class("rf-valgt")
        self.feedback.value = render_feedback(fb)
        s = self.session
        if s.finished:
            self.next_button.description = "Se hvad du gør nu"
        elif s.all_sorted and not s.answers:
            self.next_button.description = "Videre til spørgsmålene"
        else:
            self.next_button.description = "Næste"
        self.next_button.layout.display = None

    @guarded()
    def sort(self, svar: str) -> None:
        s = self.session
        if s is None or s.all_sorted or self.next_button.layout.display is None:
            return  # a double click after the choice was made
        self._chosen(svar, s.sort(svar))

    @guarded()
    def answer(self, value: str) -> None:
        s = self.session
        if s is None or s.question is None or self.next_button.layout.display is None:
            return
        self._chosen(value, s.answer(value))

    @guarded()
    def next(self) -> None:
        s = self.session
        if s is None:
            return
        if s.finished:
            self.scene.value = self._head()
            self.choices.children = ()
            self.feedback.value = ""
            self.next_button.layout.display = "none"
            self.result.value = f'<div data-rf="slut">{render_result(s.case, s, s.result(self.kommune))}</div>'
            self.restart_button.layout.display = None
            return
        self._show()


def build_app(
    cases_file: str | Path | None = None, kommune: Kommune | None = None, settings: Settings | None = None
) -> SignalEllerStoejApp:
    """Entry point of widgets/signal-eller-stoej/index.ipynb: the kernel's settings are read once, here."""
    settings = settings or Settings.from_env()
    if cases_file is None:
        cases_file = default_cases_file(settings.content_dir)
    return SignalEllerStoejApp(cases_file, kommune, settings.kommune_file)
