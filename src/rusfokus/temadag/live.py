"""Live mode: the facilitator steps through case questions, the room answers.

Pure state, no I/O: :class:`LiveSession` holds the current question, the
phase and the answers, and renders the two public views. The projector view
shows counts only (anonymous); the correct answer and the explanation are
sent to nobody until the facilitator reveals them.

Two version counters let long-polling clients wake only when something they
show has changed: ``version`` (question or phase changed, which phones need)
and ``answers_version`` (a new or changed answer, which only the projector
needs).
"""

from __future__ import annotations

from dataclasses import dataclass, field

PHASES = ("venter", "spoerg", "vis", "slut")
"""venter: not started · spoerg: answering is open · vis: explanation shown · slut: finished."""


class LiveError(ValueError):
    """A request that does not fit the session's state. The message is Danish (shown on phones)."""


@dataclass(frozen=True)
class LiveQuestion:
    id: str
    case: str
    question: str
    options: tuple[str, ...]
    correct: tuple[int, ...]
    """Positions in ``options`` of the right answers (empty: an opinion question)."""
    explanation: str
    option_ids: tuple[str, ...] = ()
    """The options' ids in the data file (``valg: [{id, tekst}]``), in the same order as ``options``.
    Answers are kept and stored (``temadag_live_answer.option``) as the 0-based position in ``valg``."""


@dataclass
class LiveSession:
    questions: list[LiveQuestion]
    index: int = -1
    phase: str = "venter"
    version: int = 0
    answers_version: int = 0
    answers: dict[str, dict[str, int]] = field(default_factory=dict)

    def __post_init__(self):
        if not self.questions:
            raise ValueError("a live session needs at least one question")
        ids = [q.id for q in self.questions]
        if len(set(ids)) != len(ids):
            raise ValueError(f"question ids must be unique: {ids}")
        for q in self.questions:
            self.answers.setdefault(q.id, {})

    # --- facilitator actions -------------------------------------------------
    @property
    def current(self) -> LiveQuestion | None:
        if 0 <= self.index < len(self.questions):
            return self.questions[self.index]
        return None

    def _changed(self):
        self.version += 1
        self.answers_version += 1

    def goto(self, index: int) -> None:
        if not 0 <= index < len(self.questions):
            raise LiveError("Der er ikke flere spørgsmål.")
        self.index = index
        self.phase = "spoerg"
        self._changed()

    def next(self) -> None:
        if self.index + 1 >= len(self.questions):
            self.phase = "slut"
            self._changed()
            return
        self.goto(self.index + 1)

    def previous(self) -> None:
        self.goto(max(self.index - 1, 0))

    def reveal(self) -> None:
        if self.phase != "spoerg":
            raise LiveError("Der er ikke et åbent spørgsmål at vise svaret på.")
        self.phase = "vis"
        self._changed()

    def act(self, action: str) -> None:
        actions = {"start": lambda: self.goto(0), "naeste": self.next, "forrige": self.previous, "vis": self.reveal}
        if action not in actions:
            raise LiveError(f"Ukendt handling: {action}")
        actions[action]()

    # --- participant actions -------------------------------------------------
    def check_answer(self, question_id: str, option) -> int:
        """The option as an int if answering ``question_id`` is open now; raises LiveError otherwise."""
        q = self.current
        if q is None or self.phase != "spoerg":
            raise LiveError("Der er ikke åbent for svar lige nu. Vent på næste spørgsmål.")
        if question_id != q.id:
            raise LiveError("Spørgsmålet er skiftet. Svar på det nye spørgsmål.")
        try:
            option = int(option)
        except (TypeError, ValueError):
            raise LiveError("Vælg et af svarene.") from None
        if not 0 <= option < len(q.options):
            raise LiveError("Vælg et af svarene.")
        return option

    def answer(self, participant: str, question_id: str, option: int) -> int:
        """Record (or change) one participant's answer; returns the number of answers."""
        option = self.check_answer(question_id, option)
        q = self.current
        bucket = self.answers[q.id]
        if bucket.get(participant) != option:
            bucket[participant] = option
            self.answers_version += 1
        return len(bucket)

    def forget(self, participant: str) -> None:
        """Drop a removed participant's answers (a rejected check-in must not keep its votes)."""
        removed = [bucket.pop(participant) for bucket in self.answers.values() if participant in bucket]
        if removed:
            self.answers_version += 1

    # --- views -----------------------------------------------------------------
    def counts(self, question_id: str) -> list[int]:
        q = next(q for q in self.questions if q.id == question_id)
        out = [0] * len(q.options)
        for option in self.answers[question_id].values():
            out[option] += 1
        return out

    def _question_view(self, q: LiveQuestion) -> dict:
        view = {"id": q.id, "case": q.case, "question": q.question, "options": list(q.options)}
        if self.phase == "vis":
            view["correct"] = list(q.correct)
            view["explanation"] = q.explanation
        return view

    def projector_view(self) -> dict:
        view = {
            "version": self.version,
            "answers_version": self.answers_version,
            "phase": self.phase,
            "index": self.index,
            "total": len(self.questions),
        }
        q = self.current
        if q is not None and self.phase in ("spoerg", "vis"):
            view["question"] = self._question_view(q)
            view["counts"] = self.counts(q.id)
            view["answered"] = len(self.answers[q.id])
        return view

    def participant_view(self, participant: str) -> dict:
        view = {"version": self.version, "phase": self.phase, "index": self.index, "total": len(self.questions)}
        q = self.current
        if q is not None and self.phase in ("spoerg", "vis"):
            view["question"] = self._question_view(q)
            view["my_answer"] = self.answers[q.id].get(participant)
            if self.phase == "vis":
                view["counts"] = self.counts(q.id)
        return view
