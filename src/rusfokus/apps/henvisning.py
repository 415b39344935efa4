"""The henvisningsguide app: ipywidgets wired to :mod:`rusfokus.opsporing.henvisning`."""

from __future__ import annotations

import logging
from pathlib import Path

import ipywidgets as widgets

from rusfokus.apps.common import error_html, esc, styled_root
from rusfokus.apps.guard import guarded
from rusfokus.kommune import Kommune, KommuneError, load_kommune
from rusfokus.opsporing.henvisning import QUESTIONS, HenvisningError, Vejledning, guide, situation
from rusfokus.settings import Settings

log = logging.getLogger("rusfokus.apps")

NO_KOMMUNE = (
    "Kommunens kontaktoplysninger kunne ikke indlæses. "
    "Spørg din leder, hvem du skal kontakte. Rådene og reglerne herunder gælder stadig."
)


class HenvisningApp(widgets.VBox):
    """Five questions (RadioButtons; question 5 only for an adult) -> what to do, whom to call, the rules."""

    def __init__(self, kommune: Kommune | None = None, kommune_file: str | Path | None = None) -> None:
        """``kommune``, or the file to read it from (``settings.kommune_file``)."""
        if kommune is None and kommune_file is None:
            raise ValueError("HenvisningApp needs the kommune or its file (settings.kommune_file)")
        self.errors = widgets.Output()  # unexpected errors in a callback (see app_guard)
        self.notice = widgets.HTML()  # kommune.yml could not be read; stays while the app is used
        self.kommune = kommune
        self.questions = {
            key: widgets.RadioButtons(
                options=[(label, value) for value, label in options.items()],
                value=None,
                description=text,
                layout=widgets.Layout(width="auto"),
                style={"description_width": "initial"},
            )
            for key, text, options in QUESTIONS
        }
        self.result = widgets.HTML()
        intro = widgets.HTML(
            "<h2>Henvisningsguide</h2>"
            "<p>Svar på nogle få spørgsmål om situationen.</p>"
            "<p>Så får du at vide, hvad du kan gøre nu, hvem du kan kontakte, og hvilke regler der gælder.</p>"
            "<p>Guiden erstatter ikke din leder eller jeres lokale retningslinjer.</p>"
        )
        for q in self.questions.values():
            q.observe(self._update, names="value")
        super().__init__(
            [styled_root([intro, self.notice, *self.questions.values(), self.errors, self.result], "Henvisningsguide")]
        )
        if self.kommune is None:
            try:
                self.kommune = load_kommune(kommune_file)
            except KommuneError as exc:
                log.error("henvisningsguide: cannot load kommune.yml: %s", exc)
                self.notice.value = error_html(NO_KOMMUNE)
        self._update()

    @property
    def answers(self) -> dict:
        return {key: q.value for key, q in self.questions.items()}

    @guarded()
    def _update(self, _change=None) -> None:
        boern = self.questions["boern"]
        boern.layout.display = None if self.questions["hvem"].value == "voksen" else "none"
        try:
            sit = situation(self.answers)
        except HenvisningError as exc:
            self.result.value = f'<div role="status" aria-live="polite"><p>{esc(exc)}</p></div>'
            return
        self.result.value = render(guide(sit, self.kommune))


def render(v: Vejledning) -> str:
    parts = ['<div role="status" aria-live="polite" data-rf="henvisning-result">']
    if v.nu:
        parts.append(
            "<h3>Det kan du gøre nu</h3><ol data-rf='nu'>" + "".join(f"<li>{esc(s)}</li>" for s in v.nu) + "</ol>"
        )
    if v.kontakter:
        items = []
        for c in v.kontakter:
            phone = f" Telefon: <strong>{esc(c.telefon)}</strong>." if c.telefon else ""
            items.append(f"<li><strong>{esc(c.navn)}</strong>.{phone} {esc(c.tekst)}</li>")
        parts.append("<h3>Hvem kan du kontakte?</h3><ul data-rf='kontakter'>" + "".join(items) + "</ul>")
    parts.append(
        "<h3>Regler, der gælder</h3><dl data-rf='regler'>"
        + "".join(f"<dt><strong>{esc(r.ref)}</strong></dt><dd>{esc(r.tekst)}</dd>" for r in v.regler)
        + "</dl></div>"
    )
    return "".join(parts)


def build_app(settings: Settings | None = None) -> HenvisningApp:
    """Entry point of widgets/henvisning/index.ipynb: the kernel's settings are read once, here."""
    settings = settings or Settings.from_env()
    return HenvisningApp(kommune_file=settings.kommune_file)
