"""The forandringscirkel app: a quote or situation -> which stage -> feedback and what helps."""

from __future__ import annotations

from pathlib import Path

import ipywidgets as widgets

from rusfokus.apps.common import error_html, esc, styled_root
from rusfokus.apps.guard import guarded
from rusfokus.mi.coach import FAGGRUPPE_DA
from rusfokus.mi.forandring import Stage, StageAnswer, StageRound, default_cirkel
from rusfokus.settings import Settings

_STYLE = {"description_width": "initial"}


class ForandringApp(widgets.VBox):
    def __init__(self, root: str | Path, seed: int | None = None) -> None:
        """``root``: the content root holding module 3's ``forandringscirkel.yml`` (``settings.content_dir``)."""
        self._seed = seed
        self.cirkel = default_cirkel(root)
        self.progress = widgets.HTML()
        self.situation = widgets.HTML()
        self.stage = widgets.RadioButtons(
            options=[(f"{s.name} ({s.english})", s.key) for s in self.cirkel.stages],
            value=None,
            description="Hvilket stadie i forandringscirklen er personen i?",
            style=_STYLE,
            layout=widgets.Layout(width="auto"),
        )
        self.check_button = widgets.Button(
            description="Tjek mit svar", button_style="primary", tooltip="Se om du valgte det stadie, situationen viser"
        )
        self.next_button = widgets.Button(description="Næste situation", tooltip="Gå videre til næste situation")
        self.restart_button = widgets.Button(
            description="Start forfra", tooltip="Start en ny runde med andre situationer"
        )
        self.feedback = widgets.HTML()
        self.errors = widgets.Output()
        overview = "".join(
            f"<li><strong>{esc(s.name)}</strong> ({esc(s.english)}): {esc(s.signs)}</li>" for s in self.cirkel.stages
        )
        intro = widgets.HTML(
            "<h2>Forandringscirklen: hvor er personen?</h2>"
            "<p>Læs situationen. Vælg det stadie, du mener, personen er i. "
            "Så får du at vide, hvad der kendetegner stadiet, og hvad der hjælper lige dér.</p>"
            "<p>Man bevæger sig ofte frem og tilbage mellem stadierne. "
            "Tilbagefald er en almindelig del af en forandring.</p>"
            f"<details><summary>Se de seks stadier</summary><ol>{overview}</ol></details>"
        )
        self.check_button.on_click(self._on_check)
        self.next_button.on_click(self._on_next)
        self.restart_button.on_click(self._on_restart)
        buttons = widgets.HBox(
            [self.check_button, self.next_button, self.restart_button], layout=widgets.Layout(flex_flow="row wrap")
        )
        super().__init__(
            [
                styled_root(
                    [intro, self.progress, self.situation, self.stage, buttons, self.feedback, self.errors],
                    "Forandringscirklen",
                )
            ]
        )
        self.start_round()

    def start_round(self) -> None:
        self.round = StageRound.new(self.cirkel, self._seed)
        self._show_current()

    def _show_current(self) -> None:
        for w in (self.stage, self.check_button, self.next_button):
            w.layout.display = None
        sit = self.round.current
        n = len(self.round.situations)
        self.feedback.value = ""
        self.stage.value = None
        self.stage.disabled = False
        self.check_button.disabled = False
        self.next_button.disabled = True
        self.progress.value = (
            f"<p data-rf='progress'><strong>Situation {len(self.round.results) + 1} af {n}</strong></p>"
        )
        self.situation.value = (
            f"<p class='rf-note'>{esc(FAGGRUPPE_DA[sit.faggruppe])}</p>"
            f"<blockquote data-rf='situation'><p>{esc(sit.text)}</p></blockquote>"
        )

    @guarded()
    def _on_check(self, _button=None) -> None:
        if self.round.done:
            return
        if self.stage.value is None:
            self.feedback.value = error_html("Vælg først et stadie.")
            return
        result = self.round.answer(self.stage.value)
        self.feedback.value = render_answer(result)
        self.stage.disabled = True
        self.check_button.disabled = True
        self.next_button.disabled = False
        if self.round.done:
            self.next_button.description = "Se dit resultat"

    @guarded()
    def _on_next(self, _button=None) -> None:
        if self.round.done:
            n = len(self.round.situations)
            self.progress.value = "<p data-rf='progress'><strong>Runden er slut</strong></p>"
            self.situation.value = ""
            self.feedback.value = (
                f"<div role='status' aria-live='polite'><p data-rf='score'><strong>Du ramte {self.round.score} af {n} "
                "stadier.</strong></p><p>Det vigtigste er ikke at ramme stadiet præcist, men at møde personen, "
                "der hvor personen er. Tryk på »Start forfra« for at øve med andre situationer.</p></div>"
            )
            for w in (self.stage, self.check_button, self.next_button):
                w.layout.display = "none"
            return
        self._show_current()

    @guarded()
    def _on_restart(self, _button=None) -> None:
        self.next_button.description = "Næste situation"
        self.start_round()


def _helps(stage: Stage) -> str:
    items = "".join(f"<li>{esc(h)}</li>" for h in stage.helps)
    return f"<p>Det hjælper i stadiet <strong>{esc(stage.name.lower())}</strong>:</p><ul>{items}</ul>"


def render_answer(result: StageAnswer) -> str:
    right = result.right
    if result.correct:
        head = f"<p class='rf-ok' data-rf='verdict'>Rigtigt: {esc(right.name)} ({esc(right.english)}).</p>"
    else:
        head = (
            f"<p class='rf-over' data-rf='verdict'>Ikke helt. Du valgte {esc(result.chosen.name.lower())}. "
            f"Situationen viser {esc(right.name.lower())} ({esc(right.english)}).</p>"
        )
    return (
        f"<div role='status' aria-live='polite'>{head}<p>{esc(result.explanation)}</p>"
        f"<p class='rf-note'>Kendetegn: {esc(right.signs)}</p>{_helps(right)}</div>"
    )


def build_app(seed: int | None = None, settings: Settings | None = None) -> ForandringApp:
    """Entry point of widgets/forandringscirkel/index.ipynb: the kernel's settings are read once, here."""
    settings = settings or Settings.from_env()
    return ForandringApp(settings.content_dir, seed=seed)
