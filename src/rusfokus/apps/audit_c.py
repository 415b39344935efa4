"""The AUDIT-C app: ipywidgets wired to :mod:`rusfokus.opsporing.audit_c`."""

from __future__ import annotations

import ipywidgets as widgets

from rusfokus.apps.common import esc, styled_root
from rusfokus.apps.guard import guarded
from rusfokus.opsporing.audit_c import (
    ABOUT,
    FOR_WHOM,
    KOEN,
    NEXT_STEPS,
    QUESTIONS,
    AuditCError,
    Result,
    interpret,
)

_WIDE = widgets.Layout(width="auto")
_STYLE = {"description_width": "initial"}


class AuditCApp(widgets.VBox):
    """Three questions (RadioButtons), a sex choice for the cut-offs, and the explained result."""

    def __init__(self) -> None:
        self.questions = [
            widgets.RadioButtons(
                options=[(o, i) for i, o in enumerate(q.options)],
                value=None,
                description=q.text,
                layout=_WIDE,
                style=_STYLE,
            )
            for q in QUESTIONS
        ]
        self.koen = widgets.RadioButtons(
            options=[(v, k) for k, v in KOEN.items()],
            value="uoplyst",
            description="Køn (bruges kun til at vise de grænser, der passer):",
            layout=_WIDE,
            style=_STYLE,
        )
        self.result = widgets.HTML()
        self.errors = widgets.Output()
        intro = widgets.HTML(
            "<h2>AUDIT-C: tre spørgsmål om alkohol</h2>"
            + "".join(f"<p>{esc(s)}</p>" for s in ABOUT[:3])
            + "".join(f"<p data-rf='for-whom'>{esc(s)}</p>" for s in FOR_WHOM)
            + "<p>Dine svar bliver ikke gemt. Du kan svare for dig selv "
            "eller øve dig med en opdigtet borger.</p>"
        )
        for widget in (*self.questions, self.koen):
            widget.observe(self._update, names="value")
        super().__init__([styled_root([intro, *self.questions, self.koen, self.result, self.errors], "AUDIT-C")])
        self._update()

    @property
    def answers(self) -> tuple[int | None, ...]:
        return tuple(q.value for q in self.questions)

    @guarded()
    def _update(self, _change=None) -> None:
        never = self.questions[0].value == 0
        for q in self.questions[1:]:
            q.disabled = never
        try:
            res = interpret(self.answers, self.koen.value)
        except AuditCError as exc:
            self.result.value = f'<div role="status" aria-live="polite"><p>{esc(exc)}</p></div>'
            return
        self.result.value = render_result(res)


def render_result(res: Result) -> str:
    items = "".join(f"<li>{esc(line)}</li>" for line in res.lines[1:])
    about = "".join(f"<li>{esc(s)}</li>" for s in ABOUT[3:])
    steps = "".join(f"<li>{esc(s)}</li>" for s in NEXT_STEPS)
    for_whom = "".join(f"<li>{esc(s)}</li>" for s in FOR_WHOM)
    return (
        f'<div role="status" aria-live="polite" data-rf="audit-result">'
        f'<h3 data-rf="score">Scoren er {res.score} ud af 12</h3><ul>{items}</ul></div>'
        f"<h3>Det kan scoren ikke</h3><ul>{about}</ul>"
        f"<h3>Hvem gælder grænserne for?</h3><ul>{for_whom}</ul>"
        f"<h3>Det kan du gøre nu</h3><ol>{steps}</ol>"
    )


def build_app() -> AuditCApp:
    return AuditCApp()
