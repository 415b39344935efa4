"""The samtalesimulator app: pick a case, choose what to say, read feedback, get a summary.

Only wiring: all decisions are made by :class:`rusfokus.dialog.engine.Session`.
Choices are real ``<button>`` elements whose accessible name is the choice text.
"""

from __future__ import annotations

import logging
from pathlib import Path

import ipywidgets as widgets

from rusfokus.apps.common import error_html, esc, styled_root, stylesheet
from rusfokus.apps.guard import guarded
from rusfokus.content import dialogue_dir
from rusfokus.dialog.engine import Session, Summary
from rusfokus.dialog.schema import Case, load_cases
from rusfokus.settings import Settings

log = logging.getLogger("rusfokus.apps")

RATING_LABEL = {"god": "Godt valg", "delvis": "Delvis godt", "uheldig": "Uheldigt valg"}
RATING_CLASS = {"god": "rf-ok", "delvis": "rf-note", "uheldig": "rf-over"}

CSS = stylesheet("samtale")


def default_cases_dir(root: str | Path) -> Path:
    """The dialogue trees under the content root ``root`` (``settings.content_dir``)."""
    return dialogue_dir(root)


def _paragraphs(text: str) -> str:
    """Case text is written one sentence per line; a blank line starts a new paragraph."""
    paragraphs = [" ".join(line.strip() for line in block.splitlines() if line.strip()) for block in text.split("\n\n")]
    return "".join(f"<p>{esc(p)}</p>" for p in paragraphs if p)


def render_safety(text: str) -> str:
    """A node's safety note: a box the learner cannot miss, read out as a note by screen readers."""
    return (
        f'<div class="rf-sikkerhed" role="note" aria-label="Sikkerhed først" data-rf="sikkerhed">'
        f"<p><strong>Sikkerhed først</strong></p>{_paragraphs(text)}</div>"
    )


def render_summary(case: Case, summary: Summary) -> str:
    safety = ""
    if summary.sikkerhed:
        items = "".join(f"<li>{esc(' '.join(s.split()))}</li>" for s in summary.sikkerhed)
        safety = (
            '<div class="rf-sikkerhed" role="note" aria-label="Husk sikkerheden" data-rf="sikkerhed-opsummering">'
            f"<p><strong>Husk sikkerheden</strong></p><ul>{items}</ul></div>"
        )
    good = (
        "".join(f"<li>{esc(s)}</li>" for s in summary.godt) or "<li>Prøv igen, og se om du kan finde de gode valg.</li>"
    )
    practise = "".join(f"<li>{esc(s)}</li>" for s in summary.oev) or "<li>Intet. Du traf gode valg hele vejen.</li>"
    return (
        f'<div class="rf-situation">{_paragraphs(summary.slut_tekst)}</div>'
        f'<h3 data-rf="summary">{esc(summary.overskrift)}</h3>'
        f'<h4>Det gik godt</h4><ul data-rf="godt">{good}</ul>'
        f'<h4>Det kan du øve</h4><ul data-rf="oev">{practise}</ul>'
        f"{safety}"
    )


class SamtaleApp(widgets.VBox):
    """Branching conversation practice over the YAML cases in ``folder``."""

    def __init__(self, folder: str | Path) -> None:
        self.errors = widgets.Output()  # unexpected errors in a callback (see app_guard)
        self.notice = widgets.HTML()  # problems with the case files; stays while the app is used
        folder = Path(folder)
        self.cases, problems = load_cases(folder)
        self.by_id = {c.id: c for c in self.cases}
        self.session: Session | None = None
        self.picker = widgets.Dropdown(
            options=[(c.titel, c.id) for c in self.cases],
            description="Vælg case",
            layout=widgets.Layout(width="auto"),
            style={"description_width": "initial"},
        )
        self.start_button = widgets.Button(
            description="Start samtalen", button_style="primary", tooltip="Start samtalen med den valgte case"
        )
        self.scene = widgets.HTML()
        self.choices = widgets.VBox()
        self.feedback = widgets.HTML()
        self.next_button = widgets.Button(
            description="Videre", tooltip="Gå videre i samtalen", layout=widgets.Layout(display="none")
        )
        self.restart_button = widgets.Button(
            description="Prøv casen igen", tooltip="Start den samme case forfra", layout=widgets.Layout(display="none")
        )
        self.start_button.on_click(lambda _b: self.start())
        self.next_button.on_click(lambda _b: self.next())
        self.restart_button.on_click(lambda _b: self.start())
        self.picker.observe(self._picked, names="value")
        intro = widgets.HTML(
            "<h2>Samtalesimulator: bekymringssamtalen</h2>"
            "<p>Du øver en bekymringssamtale i en opdigtet situation.</p>"
            "<p>Ved hvert trin vælger du, hvad du vil sige eller gøre. Du får feedback på hvert valg.</p>"
            "<p>Til sidst ser du, hvad der gik godt, og hvad du kan øve.</p>"
        )
        root = styled_root(
            [
                widgets.HTML(CSS),
                intro,
                widgets.HBox([self.picker, self.start_button]),
                self.notice,
                self.errors,
                self.scene,
                self.choices,
                self.feedback,
                widgets.HBox([self.next_button, self.restart_button]),
            ],
            "Samtalesimulator",
        )
        root.add_class("rf-samtale")
        super().__init__([root])
        for p in problems:
            log.error("samtalesimulator: %s", p)
        if not self.cases:
            self.picker.disabled = self.start_button.disabled = True
            self.notice.value = error_html(
                "Der er ingen cases at vise lige nu. Bed en nøgleperson om at tjekke case-filerne."
            )
        elif problems:
            files = sorted({Path(p.file).name for p in problems})  # the name only: no server paths on a learner's page
            self.notice.value = error_html(
                "Nogle cases kan ikke vises, fordi filen har fejl: " + ", ".join(files) + "."
            )

    def _picked(self, _change) -> None:
        """A new case is chosen: clear the old run."""
        self.session = None
        self.scene.value = self.feedback.value = ""
        self.choices.children = ()
        self.next_button.layout.display = self.restart_button.layout.display = "none"

    @guarded()
    def start(self) -> None:
        case = self.by_id[self.picker.value]
        self.session = Session(case)
        self.restart_button.layout.display = "none"
        self._show_node(intro=True)

    def _show_node(self, intro: bool = False) -> None:
        s = self.session
        case = s.case
        head = (
            (
                f"<h3>{esc(case.titel)}</h3><p><strong>{esc(case.rolle)}</strong></p>"
                f'<div class="rf-situation">{_paragraphs(case.intro)}</div>'
            )
            if intro
            else f"<h3>{esc(case.titel)}</h3>"
        )
        self.feedback.value = ""
        self.next_button.layout.display = "none"
        if s.finished:
            self.scene.value = head + render_summary(case, s.summary())
            self.choices.children = ()
            self.restart_button.layout.display = None
            return
        self.scene.value = (
            f"{head}<p data-rf='step'>Valg {s.decision_number}</p>"
            f'<div class="rf-situation" data-rf="node" data-node="{esc(s.node.id)}">{_paragraphs(s.node.tekst)}</div>'
            f"{render_safety(s.sikkerhed) if s.sikkerhed else ''}"
            "<p>Hvad vælger du?</p>"
        )
        buttons = []
        for i, choice in enumerate(s.node.valg):
            b = widgets.Button(description=choice.tekst, tooltip=choice.tekst, layout=widgets.Layout(width="auto"))
            b.add_class("rf-valg")
            b.on_click(lambda _b, i=i: self.choose(i))
            buttons.append(b)
        self.choices.children = tuple(buttons)

    @guarded()
    def choose(self, index: int) -> None:
        if self.session is None or self.session.finished or self.next_button.layout.display is None:
            return  # a double click after the choice was made
        choice = self.session.choose(index)
        for i, b in enumerate(self.choices.children):
            b.disabled = True
            if i == index:
                b.add_class("rf-valgt")
        self.feedback.value = (
            '<div class="rf-feedback" role="status" aria-live="polite" data-rf="feedback">'
            f'<p class="{RATING_CLASS[choice.vurdering]}" data-rf="vurdering">{RATING_LABEL[choice.vurdering]}</p>'
            f"{_paragraphs(choice.feedback)}</div>"
        )
        self.next_button.description = "Se din opsummering" if self.session.finished else "Videre"
        self.next_button.layout.display = None

    @guarded()
    def next(self) -> None:
        if self.session is not None:
            self._show_node()


def build_app(folder: str | Path | None = None, settings: Settings | None = None) -> SamtaleApp:
    """Entry point of widgets/samtale/index.ipynb: the cases in ``folder``, by default those under the
    content root of the kernel's settings (read once, here)."""
    if folder is None:
        folder = default_cases_dir((settings or Settings.from_env()).content_dir)
    return SamtaleApp(folder)
