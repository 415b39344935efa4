"""The exercise app ("Test din viden"): accessible widgets → validated answers → grading queue.

The widgets only get what a learner may see before handing in: questions and
option texts. Correct answers and explanations stay in the kernel's copy of
the YAML (never sent to the page) and come back from the server after grading.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qs

import ipywidgets as widgets

from rusfokus.app_guard import guarded, show_error
from rusfokus.widgets_common import error_html, esc, styled_root

from .notebook import AnswerError, validate_answers
from .schema import Exercise, ExerciseError, Question

log = logging.getLogger("rusfokus.exercises")
SubmitFn = Callable[[dict], tuple[int, dict]]
CSS = """<style>
.rf-q { border-top: 1px solid #8a8a8a; padding-top: 0.6rem; margin-top: 0.6rem; }
.rf-case { background: #f3f6fa; border-left: 4px solid #1f4e79; padding: 0.4rem 0.7rem; }
.rf-result li { margin-bottom: 0.5rem; }
.rf-app-root .widget-radio, .rf-app-root .widget-radio-box, .rf-app-root .widget-checkbox { height: auto !important; }
.rf-app-root .widget-radio-box label, .rf-app-root .widget-checkbox label {
  height: auto !important; white-space: normal; line-height: 1.35; padding: 0.2rem 0; overflow: visible; }
.rf-app-root .widget-checkbox input, .rf-app-root .widget-radio-box input { flex-shrink: 0; }
</style>"""
STATUS_TEXT = {"rigtigt": "Rigtigt", "forkert": "Forkert", "afventer": "Afventer bedømmelse", "bedømt": "Bedømt"}


def public_view(ex: Exercise) -> Exercise:
    """A copy without answer keys or explanations: all the widgets may know."""
    return replace(ex, spoergsmaal=tuple(replace(q, korrekt=(), forklaring="") for q in ex.spoergsmaal))


def _para(text: str) -> str:
    """Paragraphs (blank-line separated) of one-sentence-per-line text, escaped."""
    paras = [" ".join(line.strip() for line in block.splitlines() if line.strip())
             for block in text.strip().split("\n\n")]
    return "".join(f"<p>{esc(p)}</p>" for p in paras if p)


class QuestionBox(widgets.VBox):
    """One question: text (and case), then radio buttons, checkboxes or a text area."""

    def __init__(self, q: Question, number: int):
        self.q = q
        head = f'<h3 id="rf-q-{esc(q.id)}">Spørgsmål {number} <span class="rf-note">({q.point} point)</span></h3>'
        if q.case:
            head += f'<div class="rf-case"><strong>Case</strong>{_para(q.case)}</div>'
        head += _para(q.tekst)
        self.header = widgets.HTML(head)
        label = f"Spørgsmål {number}"
        if q.type == "refleksion":
            self.text = widgets.Textarea(value="", placeholder="Skriv dit svar her", description="Dit svar",
                                         layout=widgets.Layout(width="100%", height="9rem"),
                                         style={"description_width": "5rem"})
            self.count = widgets.HTML(f'<span class="rf-note">0 af højst {q.max_tegn} tegn</span>')
            self.text.observe(self._count, names="value")
            body = [self.text, self.count]
        elif q.multiple:
            self.checks = [widgets.Checkbox(value=False, description=o.tekst, indent=False,
                                            layout=widgets.Layout(width="100%")) for o in q.valg]
            body = self.checks
        else:
            self.radio = widgets.RadioButtons(options=[(o.tekst, o.id) for o in q.valg], value=None,
                                              description=label, layout=widgets.Layout(width="100%"),
                                              style={"description_width": "0px"})
            body = [self.radio]
        super().__init__([self.header, *body])
        self.add_class("rf-q")

    def _count(self, change) -> None:
        n = len(change["new"])
        cls = "rf-over" if n > self.q.max_tegn else "rf-note"
        self.count.value = f'<span class="{cls}">{n} af højst {self.q.max_tegn} tegn</span>'

    def answer(self):
        if self.q.type == "refleksion":
            return self.text.value
        if self.q.multiple:
            return [o.id for o, c in zip(self.q.valg, self.checks, strict=True) if c.value]
        return self.radio.value


def result_html(result: dict, ex: Exercise) -> str:
    pct = result["pct"]
    score = f"{result['score']:g} af {result['max_score']:g} point ({pct:g} %)"
    verdict = ('<p class="rf-ok">Du har bestået.</p>' if result["passed"] else
               f'<p class="rf-over">Du har ikke bestået endnu. Du skal have mindst {result["bestaa_pct"]:g} %. '
               "Læs forklaringerne, og prøv igen.</p>")
    items = []
    for row in result["questions"]:
        status = STATUS_TEXT.get(row["status"], row["status"])
        cls = {"rigtigt": "rf-ok", "forkert": "rf-over"}.get(row["status"], "rf-note")
        pts = "" if row["score"] is None else f" – {row['score']:g} af {row['max']:g} point"
        items.append(f'<li><strong>Spørgsmål {row["nr"]}: <span class="{cls}">{esc(status)}</span></strong>{esc(pts)}'
                     f'{_para(row["forklaring"])}</li>')
    manual = ('<p class="rf-note">Din refleksion afventer bedømmelse af en nøgleperson. '
              "Den tæller ikke med i, om du har bestået.</p>" if result.get("pending_manual") else "")
    return (f'<div class="rf-result" role="status" aria-live="polite"><h2>Dit resultat: {esc(score)}</h2>{verdict}{manual}'
            f'<ol style="list-style:none;padding-left:0">{"".join(items)}</ol></div>')


def history_html(forsoeg: list[dict]) -> str:
    if not forsoeg:
        return ""
    rows = []
    for f in forsoeg:
        when = datetime.strptime(f["stamp"], "%Y%m%dT%H%M%S.%fZ").strftime("%d.%m.%Y kl. %H:%M")
        if f.get("fejlet"):
            what = "kunne ikke rettes – aflever igen"
        elif f["afventer"]:
            what = "afventer rettelse"
        else:
            what = f"{f['pct']:g} % – {'bestået' if f['bestaaet'] else 'ikke bestået'}"
        rows.append(f"<li>{esc(when)} (UTC): {esc(what)}</li>")
    return f'<details><summary>Dine tidligere forsøg ({len(forsoeg)})</summary><ul>{"".join(rows)}</ul></details>'


class ExerciseApp(widgets.VBox):
    """The whole exercise. ``submit(answers) -> (http_status, body)`` hands answers to grading."""

    def __init__(self, ex: Exercise, submit: SubmitFn | None, *, identity_error: str | None = None,
                 history: list[dict] | None = None):
        self.ex = public_view(ex)
        self._submit = submit
        title = widgets.HTML(f"<h2>{esc(self.ex.titel)}</h2>{_para(self.ex.intro)}")
        self.boxes = [QuestionBox(q, n) for n, q in enumerate(self.ex.spoergsmaal, 1)]
        self.button = widgets.Button(description="Aflever", button_style="primary", icon="",
                                     tooltip="Aflever dine svar og få dit resultat")
        self.button.on_click(self.hand_in)
        self.message = widgets.HTML("")
        self.result = widgets.HTML("")
        self.history = widgets.HTML(history_html(history or []))
        self.errors = widgets.Output()
        if identity_error:
            self.button.disabled = True
            self.message.value = error_html(identity_error)
        super().__init__([styled_root([widgets.HTML(CSS), title, *self.boxes, self.message, self.button,
                                       self.errors, self.result, self.history], self.ex.titel)])

    def answers(self) -> dict:
        return {b.q.id: b.answer() for b in self.boxes}

    @guarded("errors")
    def hand_in(self, _button=None) -> None:
        if self._submit is None:
            return
        self.result.value = ""
        try:
            answers = validate_answers(self.ex, self.answers())
        except AnswerError as exc:
            self.message.value = error_html(str(exc))
            return
        self.button.disabled = True
        self.message.value = '<p class="rf-note" role="status">Din besvarelse er sendt. Den bliver rettet …</p>'
        try:
            status, body = self._submit(answers)
        finally:
            self.button.disabled = False
        if status == 200 and body.get("status") == "rettet":
            self.message.value = '<p class="rf-ok" role="status">Din besvarelse er afleveret og rettet.</p>'
            self.result.value = result_html(body["resultat"], self.ex)
            self.history.value = ""
        elif status == 202:
            self.message.value = ('<p class="rf-note" role="status">Din besvarelse er gemt. Den bliver rettet lidt senere. '
                                  "Kig forbi igen om et øjeblik.</p>")
        elif status == 409:  # the last hand-in is still being graded: not sent again
            self.message.value = f'<p class="rf-note" role="status">{esc(body.get("fejl") or "Din aflevering bliver rettet …")}</p>'
        else:
            self.message.value = error_html(body.get("fejl") or "Din besvarelse kunne ikke afleveres. Prøv igen.")


def _opgave_from_query() -> str:
    return (parse_qs(os.environ.get("QUERY_STRING", "")).get("opgave") or [""])[0]


def main(course_dir: str | Path | None = None) -> widgets.Widget:
    """Entry point of ``widgets/opgave/index.ipynb``: opgave from ``?opgave=``, learner from the signed cookie."""
    from rusfokus import identity
    from rusfokus.settings import get_settings

    from . import client
    from .course import exercise

    try:
        from voila.utils import wait_for_request

        wait_for_request()
    except ImportError:
        pass
    course_dir = Path(course_dir or get_settings().course_dir)
    opgave = _opgave_from_query() or "opsporing"
    try:
        ex = exercise(course_dir, opgave)
    except ExerciseError as exc:
        log.error("exercise app: %s", exc)
        out = widgets.Output()
        show_error(out, "Opgaven findes ikke. Tjek linket, eller kontakt din nøgleperson.")
        return styled_root([out], "Opgave")
    try:
        email = identity.current_learner()
    except identity.IdentityError as exc:
        return ExerciseApp(ex, None, identity_error=str(exc))
    code, body = client.status(email, ex.id)
    forsoeg = body.get("forsoeg", []) if code == 200 else []
    app = ExerciseApp(ex, lambda answers: client.submit(email, ex.id, answers), history=forsoeg)
    if code == 200 and body.get("seneste"):
        app.result.value = result_html(body["seneste"], ex)
    if forsoeg and forsoeg[-1].get("fejlet"):
        from .grading import FAILED_MESSAGE

        app.message.value = error_html(FAILED_MESSAGE)
    elif forsoeg and forsoeg[-1].get("afventer"):
        from .grading import PENDING_MESSAGE

        app.message.value = f'<p class="rf-note" role="status">{esc(PENDING_MESSAGE)}</p>'
    return app
