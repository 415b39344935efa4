"""The learner's journey: pages read per module, test status, "Fortsæt hvor du slap", her faggruppe tab.

The book's build writes ``rusfokus-sider.json`` (``rusfokus.sphinxext``): every
module's pages in reading order. Only those pages are remembered. A signed-in
learner's visits and reads are stored server side in ``page_read`` (migration
0007); the book's own JS keeps them in localStorage for a learner without a
personal link. Nothing here trusts an identity from a request body: the
caller (``progress.web``) passes the e-mail from the signed learner cookie.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import DateTime, ForeignKey, Integer, String, UniqueConstraint, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from rusfokus.content.registry import faggruppe_labels
from rusfokus.db import Base
from rusfokus.progress.models import STATUS_DELETED, Completion, Institution, Person
from rusfokus.progress.roster import normalise_email

PAGE_MAP_NAME = "rusfokus-sider.json"
MAX_PAGES_PER_REQUEST = 200


class PageRead(Base):
    """One module page a learner has opened (``read_at`` once she reached its end)."""

    __tablename__ = "page_read"
    __table_args__ = (UniqueConstraint("person_id", "page", name="uq_page_read_person_page"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    page: Mapped[str] = mapped_column(String(200))
    first_seen_at: Mapped[datetime] = mapped_column(DateTime)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime)
    read_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


# ---- the book's page map ------------------------------------------------------------


class PageMapError(Exception):
    """The built book has no usable page map (English: for the operator's log)."""


@dataclass(frozen=True)
class PageMap:
    modules: tuple[dict, ...]  # {"id", "title", "pages": [{"page", "title", "url"}]}

    @property
    def order(self) -> list[str]:
        return [p["page"] for m in self.modules for p in m["pages"]]

    @property
    def pages(self) -> frozenset[str]:
        return frozenset(self.order)


def parse_page_map(data) -> PageMap:
    if not isinstance(data, dict) or not isinstance(data.get("modules"), list):
        raise PageMapError("page map: no 'modules' list")
    modules = []
    for m in data["modules"]:
        if not isinstance(m, dict) or not isinstance(m.get("id"), str) or not isinstance(m.get("pages"), list):
            raise PageMapError("page map: a module without 'id' or 'pages'")
        pages = [p for p in m["pages"] if isinstance(p, dict) and isinstance(p.get("page"), str)]
        modules.append({"id": m["id"], "title": str(m.get("title", m["id"])), "pages": pages})
    return PageMap(tuple(modules))


_map_cache: dict[Path, tuple[float, PageMap]] = {}
_map_lock = threading.Lock()


def load_page_map(book_dir: Path) -> PageMap:
    """The page map of the built book in ``book_dir`` (re-read when the book is rebuilt)."""
    path = Path(book_dir) / PAGE_MAP_NAME
    try:
        mtime = path.stat().st_mtime
    except OSError:
        raise PageMapError(f"{path} is missing: build the book (python -m rusfokus.book)") from None
    with _map_lock:
        cached = _map_cache.get(path)
        if cached and cached[0] == mtime:
            return cached[1]
    try:
        page_map = parse_page_map(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:
        raise PageMapError(f"{path}: {exc}") from None
    with _map_lock:
        _map_cache[path] = (mtime, page_map)
    return page_map


# ---- her faggruppe → the case tab -----------------------------------------------------

# The case pages' tabs (``:sync-group: faggruppe``): ``:sync:`` id -> tab title, from the faggruppe registry.
TAB_LABELS = faggruppe_labels()

# Words in a job title (faggruppe), then in the afdeling and the institution's name, in
# this order. Titles shared by several places (pædagog, socialrådgiver, sagsbehandler)
# match nothing here, so the workplace decides. The youth workers (ungeindsats, SSP,
# ungdomsskole, klub, ungevejleder, UU, mentor, gadeplan) have their own tab since
# module 5 (issue 15); the rule comes before the school's, so "Ungdomsskolen" is not a
# school, while a teacher at a ungdomsuddannelse or gymnasium reads the school tab.
_TAB_RULES: tuple[tuple[re.Pattern, str], ...] = tuple(
    (re.compile(p), tab)
    for p, tab in (
        (r"sundhedsplej", "sundhedspleje"),
        (r"dagplej|dagtilbud|vuggestue|børnehave|børnehus|pædagogisk assistent|pædagogmedhjælper", "dagtilbud"),
        (r"socialpsykiatri|bostøtte|botilbud|støttecent|social- og sundhed", "socialpsykiatri"),
        (r"jobcenter|jobkonsulent|sygedagpenge|beskæftigelse|virksomhedskonsulent", "jobcenter"),
        (r"familie", "familieafdeling"),
        (
            r"\bssp\b|ungeindsats|ungevejled|ungdomsskole|ungdomsvejled|ungdomsklub|\bklub|ungerådgiv|ungeteam|"
            r"ungekonsulent|ungecent|ungehus|\buu\b|uu-vejled|mentor|gadeplan|gademedarbejd|opsøgende|natteravn",
            "ungeindsats",
        ),
        (r"lærer|skole|\bsfo\b|gymnasi|ungdomsuddannelse", "skole"),
    )
)


def faggruppe_tab(faggruppe: str | None, afdeling: str | None = None, institution: str | None = None) -> str | None:
    """The case tab (``:sync:`` id) for a person on the staff list, or None if it cannot tell."""
    for text in (faggruppe, afdeling, institution):
        text = (text or "").casefold()
        for label_id, label in TAB_LABELS.items():
            if text.strip() == label.casefold():
                return label_id
        for pattern, tab in _TAB_RULES:
            if pattern.search(text):
                return tab
    return None


# ---- test status ------------------------------------------------------------------------

NOT_STARTED, PENDING, PASSED, FAILED = "ikke-startet", "afventer", "bestaaet", "ikke-bestaaet"


def test_status(completions: list[Completion], pending: bool) -> dict:
    """One module's test status: ikke startet / afventer / bestået (with date) / ikke bestået."""
    passed = [c for c in completions if c.passed]
    if passed:
        when = max(c.completed_at for c in passed)
        return {"status": PASSED, "dato": when.date().isoformat(), "tekst": f"Bestået {when:%d-%m-%Y}"}
    if pending:
        return {"status": PENDING, "dato": None, "tekst": "Afventer bedømmelse"}
    if completions:
        return {"status": FAILED, "dato": None, "tekst": "Ikke bestået endnu"}
    return {"status": NOT_STARTED, "dato": None, "tekst": "Ikke startet"}


# ---- the learner's state ---------------------------------------------------------------------


def find_person(session: Session, email: str) -> Person | None:
    person = session.scalar(select(Person).where(Person.email == normalise_email(email)))
    if person is None or person.status == STATUS_DELETED:
        return None
    return person


def record(
    session: Session, person: Person, pages: list[str], page_map: PageMap, *, read: bool, now: datetime | None = None
) -> int:
    """Remember visits (``read=False``) or reads of known module pages; unknown pages are refused
    as a whole (ValueError, nothing written). Returns the number of pages stored."""
    known = page_map.pages
    bad = [p for p in pages if not isinstance(p, str) or p not in known]
    if bad or not pages:
        raise ValueError("unknown page")
    if len(pages) > MAX_PAGES_PER_REQUEST:
        raise ValueError("too many pages")
    now = now or datetime.now()
    for page in dict.fromkeys(pages):
        for _ in range(2):  # a second request for the same page may insert first: then update
            row = session.scalar(select(PageRead).where(PageRead.person_id == person.id, PageRead.page == page))
            if row is None:
                try:
                    with session.begin_nested():
                        session.add(
                            PageRead(
                                person_id=person.id,
                                page=page,
                                first_seen_at=now,
                                last_seen_at=now,
                                read_at=now if read else None,
                            )
                        )
                    break
                except IntegrityError:
                    continue
            row.last_seen_at = now
            if read and row.read_at is None:
                row.read_at = now
            break
    session.flush()
    return len(set(pages))


def learner_state(session: Session, person: Person, page_map: PageMap, *, waiting: Iterable[str] = ()) -> dict:
    """What the book shows her: pages read, the last page she opened, her tab, each module's test.
    ``waiting``: the modules whose test she handed in and that wait for grading
    (``rusfokus.exercises.store.pending_modules``)."""
    rows = session.scalars(select(PageRead).where(PageRead.person_id == person.id)).all()
    known = page_map.pages
    rows = [r for r in rows if r.page in known]  # pages removed from the book are not counted
    last = max(rows, key=lambda r: (r.last_seen_at, r.id)) if rows else None
    modules = [m["id"] for m in page_map.modules]
    completions = session.scalars(
        select(Completion).where(Completion.person_id == person.id, Completion.module.in_(modules))
    ).all()
    pending = set(waiting)
    afdeling = institution = None
    if person.institution_id is not None:
        inst = session.get(Institution, person.institution_id)
        if inst is not None:
            institution, afdeling = inst.name, inst.afdeling.name if inst.afdeling else None
    read = {r.page for r in rows if r.read_at is not None}
    return {
        "kendt": True,
        "laest": sorted(read),
        "sidst": last.page if last else None,
        "fortsaet": next_page(page_map, read, last.page if last else None) if rows else None,
        "faggruppe": faggruppe_tab(person.faggruppe, afdeling, institution),
        "test": {m: test_status([c for c in completions if c.module == m], m in pending) for m in modules},
    }


def next_page(page_map: PageMap, read: set[str], last: str | None) -> str | None:
    """Where "Fortsæt hvor du slap" goes: the last page she opened if she did not finish it,
    else the next unread page after it (then the first unread page of the course)."""
    order = page_map.order
    if last in order and last not in read:
        return last
    start = order.index(last) + 1 if last in order else 0
    for page in order[start:] + order[:start]:
        if page not in read:
            return page
    return last


def forget(session: Session, person_id: int) -> int:
    """Erase a person's reading history (GDPR erasure)."""
    return session.execute(delete(PageRead).where(PageRead.person_id == person_id)).rowcount or 0


def module_progress(page_map: PageMap, read: set[str]) -> list[dict]:
    """Per module: pages read of all, e.g. {"id": "opsporing", "read": 3, "total": 12}."""
    return [
        {"id": m["id"], "read": sum(1 for p in m["pages"] if p["page"] in read), "total": len(m["pages"])}
        for m in page_map.modules
    ]
