"""The exercise app ("Test din viden"): accessible widgets → validated answers → grading queue.

The widgets only get what a learner may see before handing in: questions and
option texts. Correct answers and explanations stay in the kernel's copy of
the YAML (never sent to the page) and come back from the server after grading.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

import ipywidgets as widgets

from rusfokus import identity
from rusfokus.apps.common import error_html, esc, styled_root, stylesheet, tal
from rusfokus.apps.guard import guarded, show_error
from rusfokus.dansk import dato
from rusfokus.effekt.minside import after_pass_html
from rusfokus.exercises import client
from rusfokus.exercises.course import exercise
from rusfokus.exercises.grading import FAILED_MESSAGE, PENDING_MESSAGE
from rusfokus.exercises.notebook import AnswerError, validate_answers
from rusfokus.exercises.schema import Exercise, ExerciseError, Question
from rusfokus.settings import Settings
from rusfokus.voila_request import wait_for_request

log = logging.getLogger("rusfokus.exercises")
SubmitFn = Callable[[dict], tuple[int, dict]]
DraftFn = Callable[[dict], tuple[int, dict]]
LOCAL_TZ = ZoneInfo("Europe/Copenhagen")
NO_IDENTITY = (
    "Du er ikke logget ind med dit personlige link. "
    "Du kan læse spørgsmålene, men du kan ikke aflevere, og dine svar bliver ikke gemt. "
    "Åbn kurset via dit personlige link. Du har fået det af din nøgleperson eller på mail."
)
CSS = stylesheet("opgave")
STATUS_TEXT = {"rigtigt": "Rigtigt", "forkert": "Forkert", "afventer": "Afventer bedømmelse", "bedømt": "Bedømt"}
STATUS_SIGN = {"rigtigt": "✓", "forkert": "✗"}
CHANGED_NOTE = (
    "Du har ændret dit svar, efter du afleverede. "
    "Markeringen gælder det svar, du afleverede. Aflever igen for at få det nye svar rettet."
)


def public_view(ex: Exercise) -> Exercise:
    """A copy without answer keys or explanations: all the widgets may know."""
    return replace(ex, spoergsmaal=tuple(replace(q, korrekt=(), forklaring="") for q in ex.spoergsmaal))


def _para(text: str) -> str:
    """Paragraphs (blank-line separated) of one-sentence-per-line text, escaped."""
    paras = [
        " ".join(line.strip() for line in block.splitlines() if line.strip()) for block in text.strip().split("\n\n")
    ]
    return "".join(f"<p>{esc(p)}</p>" for p in paras if p)


def _pct(x) -> str:
    """A percentage the Danish way, no needless decimals: 100 → "100 %", 83.3 → "83,3 %"."""
    return f"{tal(x)} %"


def dansk_tid(when: str | datetime) -> str:
    """A hand-in's time stamp (UTC) as Danes read it, in Danish local time:
    ``20261202T091400.000000Z`` → "2. december 2026 kl. 10.14"."""
    if isinstance(when, str):
        when = datetime.strptime(when, "%Y%m%dT%H%M%S.%fZ").replace(tzinfo=UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    local = when.astimezone(LOCAL_TZ)
    return f"{dato(local)} kl. {local:%H.%M}"


def pass_mark_html(ex: Exercise) -> str:
    """The pass mark, said before the first question."""
    text = f"Du skal have mindst {_pct(ex.bestaa_pct)} rigtige for at bestå."
    if any(not q.auto for q in ex.spoergsmaal):
        text += " Din refleksion tæller ikke med i, om du består. En nøgleperson læser den og giver point."
    return f"<p><strong>{esc(text)}</strong></p>"


def last_hand_in_html(forsoeg: list[dict]) -> str:
    """ "Sidst afleveret 2. december 2026 kl. 10.14 – bestået" for the latest hand-in, or ""."""
    if not forsoeg:
        return ""
    f = forsoeg[-1]
    if f.get("fejlet"):
        what = "kunne ikke rettes"
    elif f.get("afventer"):
        what = "bliver rettet"
    elif f.get("pct") is not None:
        what = f"{_pct(f['pct'])} – {'bestået' if f['bestaaet'] else 'ikke bestået'}"
    else:
        what = ""
    return f'<p class="rf-sidst">Sidst afleveret {esc(dansk_tid(f["stamp"]))}{" – " + esc(what) if what else ""}.</p>'


class QuestionBox(widgets.VBox):
    """One question: text (and case), then radio buttons, checkboxes or a text area,
    then its mark and explanation (empty until a hand-in is graded)."""

    def __init__(self, q: Question, number: int):
        self.q = q
        self.number = number
        head = f'<h3 id="rf-q-{esc(q.id)}">Spørgsmål {number} <span class="rf-note">({q.point} point)</span></h3>'
        if q.case:
            head += f'<div class="rf-case"><strong>Case</strong>{_para(q.case)}</div>'
        head += _para(q.tekst)
        self.header = widgets.HTML(head)
        label = f"Spørgsmål {number}"
        if q.type == "refleksion":
            self.text = widgets.Textarea(
                value="",
                placeholder="Skriv dit svar her",
                description="Dit svar",
                layout=widgets.Layout(width="100%", height="9rem"),
                style={"description_width": "5rem"},
            )
            self.count = widgets.HTML(f'<span class="rf-note">0 af højst {q.max_tegn} tegn</span>')
            self.text.observe(self._count, names="value")
            self.inputs = [self.text]
            body = [self.text, self.count]
        elif q.multiple:
            self.checks = [
                widgets.Checkbox(value=False, description=o.tekst, indent=False, layout=widgets.Layout(width="100%"))
                for o in q.valg
            ]
            self.inputs = body = self.checks
        else:
            self.radio = widgets.RadioButtons(
                options=[(o.tekst, o.id) for o in q.valg],
                value=None,
                description=label,
                layout=widgets.Layout(width="100%"),
                style={"description_width": "0px"},
            )
            self.inputs = body = [self.radio]
        self.feedback = widgets.HTML("")  # the mark and explanation: only from a graded hand-in
        self.mark: dict | None = None
        self.handed_in = None
        super().__init__([self.header, *body, self.feedback])
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

    def set_answer(self, value) -> None:
        """Put a (checked) saved answer back into the controls."""
        if self.q.type == "refleksion":
            self.text.value = value if isinstance(value, str) else ""
        elif self.q.multiple:
            chosen = set(value or ())
            for o, c in zip(self.q.valg, self.checks, strict=True):
                c.value = o.id in chosen
        else:
            self.radio.value = value if value in self.q.option_ids() else None

    def observe_answer(self, callback) -> None:
        for w in self.inputs:
            w.observe(lambda _change: callback(self), names="value")

    def changed_since_hand_in(self) -> bool:
        if self.handed_in is None:
            return False
        now, then = self.answer(), self.handed_in
        if self.q.type == "refleksion":
            return (now or "").strip() != (then or "").strip()
        if self.q.multiple:
            return sorted(now or []) != sorted(then or [])
        return now != then

    def show_mark(self, row: dict | None, handed_in=None) -> None:
        """Mark this question right or wrong in place, with its explanation (after grading)."""
        self.mark, self.handed_in = row, handed_in
        self.refresh_mark()

    def refresh_mark(self) -> None:
        row = self.mark
        if row is None:
            self.feedback.value = ""
            return
        status = row["status"]
        sign = STATUS_SIGN.get(status, "")
        pts = "" if row.get("score") is None else f" – {tal(row['score'])} af {tal(row['max'])} point"
        changed = f'<p class="rf-note"><em>{esc(CHANGED_NOTE)}</em></p>' if self.changed_since_hand_in() else ""
        icon = f'<span aria-hidden="true">{sign}</span> ' if sign else ""
        head = f"<p><strong>{icon}{esc(STATUS_TEXT.get(status, status))}</strong>{esc(pts)}</p>"
        self.feedback.value = (
            f'<div class="rf-mark rf-mark-{esc(status)}" id="rf-mark-{esc(self.q.id)}">'
            f"{head}{changed}{_para(row.get('forklaring') or '')}</div>"
        )


def certificate_url(opgave: str) -> str:
    """The learner's own kursusbevis for the module (progress: MyCertificateHandler)."""
    base = os.environ.get("VOILA_BASE_URL") or "/"
    return f"{base if base.endswith('/') else base + '/'}api/progress/mine/kursusbevis/{opgave}.pdf"


def result_html(result: dict, ex: Exercise, *, stamp: str | None = None, cert_url: str | None = None) -> str:
    """The summary under the questions: score, pass or not, the kursusbevis, and where each mark is."""
    score = f"{tal(result['score'])} af {tal(result['max_score'])} point ({_pct(result['pct'])})"
    if result["passed"]:
        verdict = '<p class="rf-ok">Du har bestået.</p>'
        if cert_url:
            verdict += (
                f'<p><a class="rf-knap-link" href="{esc(cert_url)}" target="_blank" rel="noopener">'
                "Hent dit kursusbevis (PDF)</a></p>"
                '<p class="rf-note">Du kan også finde dit kursusbevis på Min side.</p>'
            )
        # proof of effect (issue 17): three short self-efficacy statements after a passed module (/effekt/)
        verdict += after_pass_html(os.environ.get("VOILA_BASE_URL") or "/")
    else:
        verdict = (
            f'<p class="rf-over">Du har ikke bestået endnu. Du skal have mindst {_pct(result["bestaa_pct"])} rigtige. '
            "Læs forklaringerne ved spørgsmålene, og prøv igen.</p>"
        )
    when = stamp or result.get("stamp")
    dated = f'<p class="rf-note">Afleveret {esc(dansk_tid(when))}.</p>' if when else ""
    items = []
    for row in result["questions"]:
        status = STATUS_TEXT.get(row["status"], row["status"])
        cls = {"rigtigt": "rf-ok", "forkert": "rf-over"}.get(row["status"], "rf-note")
        items.append(
            f'<li><a href="#rf-q-{esc(row["id"])}">Spørgsmål {row["nr"]}</a>: '
            f'<span class="{cls}">{esc(status)}</span></li>'
        )
    manual = (
        '<p class="rf-note">Din refleksion afventer bedømmelse af en nøgleperson. '
        "Den tæller ikke med i, om du har bestået.</p>"
        if result.get("pending_manual")
        else ""
    )
    return (
        f'<div class="rf-result" role="status" aria-live="polite"><h2>Dit resultat: {esc(score)}</h2>{dated}'
        f"{verdict}{manual}<p>Du kan se forklaringen ved hvert spørgsmål.</p>"
        f'<ul style="list-style:none;padding-left:0">{"".join(items)}</ul></div>'
    )


def history_html(forsoeg: list[dict]) -> str:
    if not forsoeg:
        return ""
    rows = []
    for f in forsoeg:
        if f.get("fejlet"):
            what = "kunne ikke rettes – aflever igen"
        elif f["afventer"]:
            what = "afventer rettelse"
        else:
            what = f"{_pct(f['pct'])} – {'bestået' if f['bestaaet'] else 'ikke bestået'}"
        rows.append(f"<li>{esc(dansk_tid(f['stamp']))}: {esc(what)}</li>")
    return f"<details><summary>Dine tidligere forsøg ({len(forsoeg)})</summary><ul>{''.join(rows)}</ul></details>"


class ExerciseApp(widgets.VBox):
    """The whole exercise. ``submit(answers) -> (http_status, body)`` hands answers to grading;
    ``save_draft(answers) -> (http_status, body)`` keeps half-finished answers (never graded)."""

    def __init__(
        self,
        ex: Exercise,
        submit: SubmitFn | None,
        *,
        identity_error: str | None = None,
        history: list[dict] | None = None,
        save_draft: DraftFn | None = None,
        draft: dict | None = None,
        latest: dict | None = None,
        handed_in: dict | None = None,
        draft_delay: float = 1.0,
        cert_url: str | None = None,
    ):
        self.ex = public_view(ex)
        self._submit = submit
        self._save_draft = save_draft
        self._draft_delay = draft_delay
        self._draft_timer: threading.Timer | None = None
        self._draft_lock = threading.Lock()
        self._restoring = False
        self._forsoeg = list(history or [])
        self.cert_url = cert_url
        title = widgets.HTML(f"<h2>{esc(self.ex.titel)}</h2>{_para(self.ex.intro)}")
        self.notice = widgets.HTML("")  # at the top: no personal link → nothing is saved
        self.info = widgets.HTML("")  # pass mark and the last hand-in, before the first question
        self.boxes = [QuestionBox(q, n) for n, q in enumerate(self.ex.spoergsmaal, 1)]
        self.button = widgets.Button(
            description="Aflever", button_style="primary", icon="", tooltip="Aflever dine svar og få dit resultat"
        )
        self.button.on_click(self.hand_in)
        self.draft_note = widgets.HTML("")
        self.message = widgets.HTML("")
        self.result = widgets.HTML("")
        self.history = widgets.HTML("")
        self.errors = widgets.Output()
        if identity_error:
            self.button.disabled = True
            # at the top, before the first question: she knows before she answers
            reason = "" if identity_error == NO_IDENTITY else identity_error.strip()
            self.notice.value = error_html(f"{reason} {NO_IDENTITY}".strip())
        self._render_status()
        if draft and isinstance(draft.get("svar"), dict):
            self.restore(draft["svar"], draft.get("gemt"))
        elif handed_in:
            self.restore(handed_in)
        if latest:
            self.show_result(latest, handed_in)
        for box in self.boxes:
            box.observe_answer(self._answer_changed)
        super().__init__(
            [
                styled_root(
                    [
                        widgets.HTML(CSS),
                        title,
                        self.notice,
                        self.info,
                        *self.boxes,
                        self.draft_note,
                        self.message,
                        self.button,
                        self.errors,
                        self.result,
                        self.history,
                    ],
                    self.ex.titel,
                )
            ]
        )

    def _render_status(self) -> None:
        self.info.value = f'<div class="rf-info">{pass_mark_html(self.ex)}{last_hand_in_html(self._forsoeg)}</div>'
        self.history.value = history_html(self._forsoeg)

    def answers(self) -> dict:
        return {b.q.id: b.answer() for b in self.boxes}

    def restore(self, svar: dict, gemt: str | None = None) -> None:
        """Put saved answers back (no draft is saved while doing so)."""
        self._restoring = True
        try:
            for box in self.boxes:
                if box.q.id in svar:
                    box.set_answer(svar[box.q.id])
        finally:
            self._restoring = False
        if gemt:
            self.draft_note.value = self._saved_note(gemt)

    @staticmethod
    def _saved_note(gemt: str) -> str:
        try:
            when = dansk_tid(datetime.fromisoformat(gemt))
        except (TypeError, ValueError):
            return '<p class="rf-note">Dine svar er gemt som kladde.</p>'
        return f'<p class="rf-note">Dine svar er gemt som kladde {esc(when)}. Du kan fortsætte senere.</p>'

    def show_result(self, result: dict, handed_in: dict | None = None, stamp: str | None = None) -> None:
        """Marks in place (question by question, with explanations) and the summary below."""
        rows = {row["id"]: row for row in result.get("questions", [])}
        for box in self.boxes:
            box.show_mark(rows.get(box.q.id), (handed_in or {}).get(box.q.id))
        self.result.value = result_html(result, self.ex, stamp=stamp, cert_url=self.cert_url)

    def _answer_changed(self, box: QuestionBox) -> None:
        if box.mark is not None:
            box.refresh_mark()
        if self._restoring or self._save_draft is None:
            return
        if box.q.type == "refleksion" and self._draft_delay > 0:
            with self._draft_lock:  # typing: save when she pauses
                if self._draft_timer is not None:
                    self._draft_timer.cancel()
                self._draft_timer = threading.Timer(self._draft_delay, self.save_draft_now)
                self._draft_timer.daemon = True
                self._draft_timer.start()
        else:
            self.save_draft_now()

    def save_draft_now(self) -> None:
        """Save the current answers as her draft (server side, per learner)."""
        if self._save_draft is None:
            return
        with self._draft_lock:
            if self._draft_timer is not None:
                self._draft_timer.cancel()
                self._draft_timer = None
            try:
                code, body = self._save_draft(self.answers())
            except Exception:
                log.exception("saving a draft failed")
                code, body = 0, {}
            if code == 200:
                self.draft_note.value = self._saved_note(body.get("gemt"))
            else:
                self.draft_note.value = (
                    '<p class="rf-note">Dine svar kunne ikke gemmes som kladde lige nu. De er stadig her på siden.</p>'
                )

    @guarded("errors")
    def hand_in(self, _button=None) -> None:
        if self._submit is None:
            return
        try:
            answers = validate_answers(self.ex, self.answers())
        except AnswerError as exc:
            self.message.value = error_html(str(exc))
            return
        self.save_draft_now()
        self.button.disabled = True
        self.message.value = '<p class="rf-note" role="status">Din besvarelse er sendt. Den bliver rettet …</p>'
        try:
            status, body = self._submit(answers)
        finally:
            self.button.disabled = False
        if status == 200 and body.get("status") == "rettet":
            res = body["resultat"]
            self.message.value = '<p class="rf-ok" role="status">Din besvarelse er afleveret og rettet.</p>'
            self._forsoeg.append(
                {
                    "stamp": body.get("stamp") or res.get("stamp"),
                    "afventer": False,
                    "fejlet": False,
                    "pct": res["pct"],
                    "bestaaet": res["passed"],
                }
            )
            self.show_result(res, answers, stamp=body.get("stamp"))
        elif status == 202:
            self.message.value = (
                '<p class="rf-note" role="status">Din besvarelse er gemt. Den bliver rettet lidt senere. '
                "Kig forbi igen om et øjeblik.</p>"
            )
            if body.get("stamp"):
                self._forsoeg.append(
                    {"stamp": body["stamp"], "afventer": True, "fejlet": False, "pct": None, "bestaaet": None}
                )
        elif status == 409:  # the last hand-in is still being graded: not sent again
            self.message.value = (
                f'<p class="rf-note" role="status">{esc(body.get("fejl") or "Din aflevering bliver rettet …")}</p>'
            )
        else:
            self.message.value = error_html(body.get("fejl") or "Din besvarelse kunne ikke afleveres. Prøv igen.")
        self._render_status()


def _opgave_from_query() -> str:
    return (parse_qs(os.environ.get("QUERY_STRING", "")).get("opgave") or [""])[0]


def build_app(course_dir: str | Path | None = None) -> widgets.Widget:
    """Entry point of ``widgets/opgave/index.ipynb``: opgave from ``?opgave=``, learner from the signed cookie."""
    wait_for_request()  # a preheated kernel: until a page takes it (that page's cookie)
    settings = Settings.from_env()  # the kernel's settings, read once (it inherits the server's environment)
    course_dir = Path(course_dir or settings.course_dir)
    opgave = _opgave_from_query() or "opsporing"
    try:
        ex = exercise(opgave, settings.content_dir)
    except ExerciseError as exc:
        log.error("exercise app: %s", exc)
        out = widgets.Output()
        show_error(out, "Opgaven findes ikke. Tjek linket, eller kontakt din nøgleperson.")
        return styled_root([out], "Opgave")
    try:
        email = identity.current_learner(settings)
    except identity.IdentityError as exc:
        # no cookie at all: the plain notice; a broken or expired link: its reason first
        has_cookie = identity.cookie_value(os.environ.get("HTTP_COOKIE"), identity.LEARNER_COOKIE) is not None
        return ExerciseApp(ex, None, identity_error=str(exc) if has_cookie else NO_IDENTITY)
    return open_app(ex, email, base=client.server_url(settings.port), secret=identity.load_secret(settings.secret_file))


def open_app(
    ex: Exercise, email: str, base: str | None = None, draft_delay: float = 1.0, *, secret: bytes
) -> ExerciseApp:
    """The app for a signed-in learner: her attempts, latest result (marks in place) and draft
    from the server; hand-ins and drafts go back to it (``base``: another server, for tests), signed
    with the server's ``secret`` (the kernel's Settings)."""
    code, body = client.status(email, ex.id, base=base, secret=secret)
    ok = code == 200
    forsoeg = body.get("forsoeg", []) if ok else []
    app = ExerciseApp(
        ex,
        lambda answers: client.submit(email, ex.id, answers, base=base, secret=secret),
        history=forsoeg,
        save_draft=lambda answers: client.save_draft(email, ex.id, answers, base=base, secret=secret),
        draft=body.get("kladde") if ok else None,
        latest=body.get("seneste") if ok else None,
        handed_in=body.get("afleveret_svar") if ok else None,
        cert_url=certificate_url(ex.id),
        draft_delay=draft_delay,
    )
    if forsoeg and forsoeg[-1].get("fejlet"):
        app.message.value = error_html(FAILED_MESSAGE)
    elif forsoeg and forsoeg[-1].get("afventer"):
        app.message.value = f'<p class="rf-note" role="status">{esc(PENDING_MESSAGE)}</p>'
    elif not ok:
        log.warning("exercise app: status of %s answered %s", ex.id, code)
        app.message.value = error_html(
            body.get("fejl") or "Dine tidligere svar kunne ikke hentes. Prøv at genindlæse siden."
        )
    return app
