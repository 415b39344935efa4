"""The learner's journey: its logic (pages read, test status, next page, faggruppe tab), Min side's
nøglepersoner and temadage, and the JSON API over real tornado (signed cookie only, CSRF, revoked)."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from datetime import date, datetime, time
from pathlib import Path

import pytest
import tornado.testing
import tornado.web
from sqlalchemy import func, select

from rusfokus import identity
from rusfokus.apps.min_side import learner_overview, render
from rusfokus.db import session_scope
from rusfokus.exercises.course import student_id
from rusfokus.exercises.store import pending_modules
from rusfokus.identity.revocation import revoke
from rusfokus.migrations import upgrade
from rusfokus.progress import journey, web
from rusfokus.progress.hooks import record_result
from rusfokus.progress.journey import (
    PageMapError,
    PageRead,
    faggruppe_tab,
    learner_state,
    load_page_map,
    next_page,
    parse_page_map,
    record,
)
from rusfokus.progress.models import Person
from rusfokus.progress.roster import Roster, RosterRow
from rusfokus.progress.staff import import_roster
from rusfokus.settings import Settings, get_settings
from rusfokus.temadag.models import STATUS_CONFIRMED, STATUS_PENDING, Temadag, TemadagParticipant

TEST_SECRET = b"test-secret-k1-" * 4  # the server key these tests sign and revoke with

EVIL = "<script>alert(1)</script>"
MAP = {
    "version": 1,
    "modules": [
        {
            "id": "opsporing",
            "title": "Modul 1: Opsporing",
            "pages": [
                {"page": f"modules/01-opsporing/{p}", "title": p, "url": f"modules/01-opsporing/{p}.html"}
                for p in ("index", "hvorfor", "tegn", "genstande")
            ],
        },
        {
            "id": "bekymringssamtale",
            "title": "Modul 2: Bekymringssamtalen",
            "pages": [
                {
                    "page": f"modules/02-bekymringssamtale/{p}",
                    "title": p,
                    "url": f"modules/02-bekymringssamtale/{p}.html",
                }
                for p in ("index", "forberedelse")
            ],
        },
    ],
}
M1 = [p["page"] for p in MAP["modules"][0]["pages"]]
M2 = [p["page"] for p in MAP["modules"][1]["pages"]]
ANNE = "anne.lund@eksempel-kommune.example"
BO = "bo.holm@eksempel-kommune.example"
NP = "signe.dahl@eksempel-kommune.example"
OTHER_NP = "ole.bak@eksempel-kommune.example"


def rows():
    return [
        RosterRow(2, ANNE, "Anne Lund", "Vestskolen", "Skoler", "Børn og Unge", "Pædagog", False),
        RosterRow(3, BO, "Bo Holm", "Vestskolen", "Skoler", "Børn og Unge", "Lærer", False),
        RosterRow(4, NP, f"Signe {EVIL}", "Vestskolen", "Skoler", "Børn og Unge", "Lærer", True),
        RosterRow(5, OTHER_NP, "Ole Bak", "Børnehuset Solsikken", "Dagtilbud", "Børn og Unge", "Pædagog", True),
    ]


@pytest.fixture
def url(tmp_path, monkeypatch):
    monkeypatch.setenv("RUSFOKUS_HOME", str(tmp_path))
    (tmp_path / "secret.key").write_bytes(TEST_SECRET)  # the server's key: it checks what the tests sign
    get_settings.cache_clear()
    url = f"sqlite:///{tmp_path / 'j.db'}"
    upgrade(url)
    with session_scope(url) as s:
        import_roster(s, Roster(rows=rows()), now=datetime(2026, 1, 1), secret=TEST_SECRET)
    yield url
    get_settings.cache_clear()


def person(s, email):
    return s.scalar(select(Person).where(Person.email == email))


# ---- logic ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("faggruppe", "afdeling", "institution", "tab"),
    [
        ("Pædagog", "Dagtilbud", "Børnehuset Solsikken", "dagtilbud"),
        ("Pædagog", "Skoler", "Vestskolen", "skole"),
        ("Pædagog", "Socialpsykiatri", "Botilbuddet Engen", "socialpsykiatri"),
        ("Dagplejer", "Dagtilbud", "Dagplejen Eksempelby", "dagtilbud"),
        ("Pædagogisk assistent", "Dagtilbud", "Vuggestuen Mariehønen", "dagtilbud"),
        ("Lærer", "Skoler", "Eksempelby Skole", "skole"),
        ("Sundhedsplejerske", "Sundhedsplejen", "Sundhedsplejen Nord", "sundhedspleje"),
        ("Socialrådgiver", "Familieafdelingen", "Familieafdelingen, Myndighed", "familieafdeling"),
        ("Familiebehandler", "Familieafdelingen", "Familiehuset", "familieafdeling"),
        ("Socialrådgiver", "Jobcenter", "Jobcenter Eksempelby", "jobcenter"),
        ("Jobkonsulent", "Jobcenter", "Jobcenter Eksempelby", "jobcenter"),
        ("Sagsbehandler", "Sygedagpenge", "Sygedagpengeteamet", "jobcenter"),
        ("Ungevejleder", "Ungeindsats", "Ungeindsatsen", "ungeindsats"),
        ("Socialrådgiver", "Ungeindsats", "Ungeindsatsen", "ungeindsats"),
        ("SSP-konsulent", "SSP", "SSP Eksempel Kommune", "ungeindsats"),
        ("SSP-medarbejder", "Skoler", "Vestskolen", "ungeindsats"),  # the title decides before the workplace
        ("Pædagog", "Ungdomsskolen", "Ungdomsskolen Eksempelby", "ungeindsats"),  # not a school tab
        ("Ungdomsskolelærer", "", "", "ungeindsats"),
        ("Klubmedarbejder", "Fritid", "Ungdomsklubben Eksempelby", "ungeindsats"),
        ("Mentor", "Beskæftigelse", "Jobcenter Eksempelby", "ungeindsats"),
        ("UU-vejleder", "", "", "ungeindsats"),
        ("Gademedarbejder", "Opsøgende team", "", "ungeindsats"),
        ("Ungdomsskolen", "", "", "ungeindsats"),
        ("Ungeindsats og SSP", "", "", "ungeindsats"),  # the tab's own label
        ("Lærer", "Ungdomsskolen", "Ungdomsskolen Eksempelby", "skole"),  # a teacher's title decides
        ("Lærer", "Gymnasiet", "Eksempelby Gymnasium", "skole"),
        ("Pædagog", "Børn og Unge", "Eksempelby Skole", "skole"),  # the forvaltning's name is not a workplace
        ("Social- og sundhedsassistent", "Socialpsykiatri", "Støttecentret", "socialpsykiatri"),
        ("Jobcenter og sygedagpenge", "", "", "jobcenter"),  # the tab's own label
        ("Bostøtte og socialpsykiatri", "", "", "socialpsykiatri"),
        ("Ikke angivet", "Ikke angivet", "Ikke på medarbejderlisten", None),
        ("Assistent", "Teknik og Miljø", "Materielgården", None),
    ],
)
def test_faggruppe_tab_from_the_staff_list(faggruppe, afdeling, institution, tab):
    assert faggruppe_tab(faggruppe, afdeling, institution) == tab


def test_demo_staff_all_get_a_tab():
    """Every faggruppe/afdeling of the demo organisation maps to a tab of the case pages."""
    from rusfokus.progress.demo import generate_staff

    for row in generate_staff(60, 3):
        assert faggruppe_tab(row.faggruppe, row.afdeling, row.institution) in journey.TAB_LABELS, row


def test_test_status_each_state():
    from rusfokus.progress.models import Completion

    def c(passed, day):
        return Completion(module="opsporing", passed=passed, completed_at=datetime(2026, 11, day, 10))

    assert journey.test_status([], False) == {"status": "ikke-startet", "dato": None, "tekst": "Ikke startet"}
    assert journey.test_status([], True)["tekst"] == "Afventer bedømmelse"
    assert journey.test_status([c(False, 2)], False) == {
        "status": "ikke-bestaaet",
        "dato": None,
        "tekst": "Ikke bestået endnu",
    }
    assert journey.test_status([c(False, 2)], True)["status"] == "afventer"
    passed = journey.test_status([c(True, 3), c(False, 5), c(True, 9)], True)
    assert passed == {"status": "bestaaet", "dato": "2026-11-09", "tekst": "Bestået 09-11-2026"}


def test_next_page_rule():
    pm = parse_page_map(MAP)
    order = pm.order
    assert next_page(pm, set(), order[1]) == order[1], "an unfinished page: back to it"
    assert next_page(pm, {order[1], order[2]}, order[2]) == order[3], "the next unread page after it"
    assert next_page(pm, {order[1], order[3]}, order[1]) == order[2]
    assert next_page(pm, {order[3], order[4]}, order[3]) == order[5], "skips pages read, into the next module"
    assert next_page(pm, set(order[1:]), order[-1]) == order[0], "then the first unread page of the course"
    assert next_page(pm, set(order), order[2]) == order[2], "all read: where she was"


def test_page_map_file(tmp_path):
    with pytest.raises(PageMapError, match="build the book"):
        load_page_map(tmp_path)
    (tmp_path / journey.PAGE_MAP_NAME).write_text("{not json", encoding="utf-8")
    with pytest.raises(PageMapError):
        load_page_map(tmp_path)
    (tmp_path / journey.PAGE_MAP_NAME).write_text(json.dumps(MAP), encoding="utf-8")
    assert load_page_map(tmp_path).order == M1 + M2
    with pytest.raises(PageMapError):
        parse_page_map({"modules": [{"pages": []}]})


def test_record_and_state(url, tmp_path):
    def state_of(s, who, pm):  # as the web handler asks: hand-ins waiting for grading come from exercises
        modules = [m["id"] for m in pm.modules]
        return learner_state(s, who, pm, waiting=pending_modules(course, who.email, modules))

    pm = parse_page_map(MAP)
    course = tmp_path / "course"
    with session_scope(url) as s:
        anne = person(s, ANNE)
        with pytest.raises(ValueError):
            record(s, anne, [M1[1], "book/ordliste"], pm, read=True)  # one unknown page: nothing stored
        with pytest.raises(ValueError):
            record(s, anne, [], pm, read=True)
        assert s.scalar(select(func.count()).select_from(PageRead)) == 0
        record(s, anne, [M1[1]], pm, read=False, now=datetime(2026, 12, 1, 9))
        state = state_of(s, anne, pm)
        assert state["laest"] == [] and state["sidst"] == M1[1] and state["fortsaet"] == M1[1]
        record(s, anne, [M1[1]], pm, read=True, now=datetime(2026, 12, 1, 9, 5))
        record(s, anne, [M1[2]], pm, read=False, now=datetime(2026, 12, 1, 9, 6))
        record(s, anne, [M1[2], M1[2]], pm, read=True, now=datetime(2026, 12, 1, 9, 9))
        state = state_of(s, anne, pm)
        assert state["laest"] == sorted([M1[1], M1[2]]) and state["sidst"] == M1[2]
        assert state["fortsaet"] == M1[3]
        assert state["faggruppe"] == "skole"
        assert state["test"] == {
            m: {"status": "ikke-startet", "dato": None, "tekst": "Ikke startet"}
            for m in ("opsporing", "bekymringssamtale")
        }
        assert s.scalar(select(func.count()).select_from(PageRead)) == 2
        # a page read again keeps its first read time
        record(s, anne, [M1[1]], pm, read=True, now=datetime(2026, 12, 2, 9))
        row = s.scalar(select(PageRead).where(PageRead.page == M1[1]))
        assert row.read_at == datetime(2026, 12, 1, 9, 5) and row.last_seen_at == datetime(2026, 12, 2, 9)
        # someone else's state is her own
        bo = person(s, BO)
        assert state_of(s, bo, pm)["laest"] == []
        # test status from the gradebook results and the pending hand-ins on disk
        record_result(s, ANNE, "bekymringssamtale", 8, 10, True, datetime(2026, 11, 20, 14), 24, secret=TEST_SECRET)
        record_result(s, ANNE, "opsporing", 3, 10, False, datetime(2026, 11, 21, 14), 24, secret=TEST_SECRET)
        state = state_of(s, anne, pm)
        assert state["test"]["bekymringssamtale"]["tekst"] == "Bestået 20-11-2026"
        assert state["test"]["opsporing"]["tekst"] == "Ikke bestået endnu"
        pending = course / "attempts" / student_id(ANNE) / "opsporing" / "20261201T100000.000000Z.pending.json"
        pending.parent.mkdir(parents=True)
        pending.write_text("{}", encoding="utf-8")
        assert state_of(s, anne, pm)["test"]["opsporing"]["tekst"] == "Afventer bedømmelse"
        # a page that left the book is not counted
        state = state_of(s, anne, parse_page_map({"modules": [MAP["modules"][1]]}))
        assert state["laest"] == [] and state["sidst"] is None and state["fortsaet"] is None
        assert journey.forget(s, anne.id) == 2


# ---- Min side: nøglepersoner, temadage, kursusbeviser ---------------------------------------


def test_min_side_shows_her_noegleperson_temadage_and_certificates(url):
    with session_scope(url) as s:
        anne, bo = person(s, ANNE), person(s, BO)
        days = []
        for i, title in enumerate(
            [
                f"Temadag {EVIL}",
                "Temadag om samtalen",
                "Temadag hun ikke var med på",
                "Temadag hvor hun venter på bekræftelse",
            ]
        ):
            t = Temadag(
                title=title,
                date=date(2026, 3 + i, 10),
                start=time(9),
                duration_min=180,
                place=f"Mødelokale {i}",
                modules="opsporing",
                facilitator="Signe",
                institutions="Vestskolen",
                created_at=datetime(2026, 1, 1),
            )
            s.add(t)
            s.flush()
            days.append(t)
        s.add_all(
            [
                TemadagParticipant(
                    temadag_id=days[0].id,
                    person_id=anne.id,
                    name="Anne Lund",
                    email=ANNE,
                    method="link",
                    checked_in_at=datetime(2026, 3, 10, 9),
                    status=STATUS_CONFIRMED,
                ),
                TemadagParticipant(
                    temadag_id=days[1].id,
                    person_id=anne.id,
                    name="Anne Lund",
                    email=ANNE,
                    method="kode",
                    checked_in_at=datetime(2026, 4, 10, 9),
                    status=STATUS_CONFIRMED,
                ),
                TemadagParticipant(
                    temadag_id=days[2].id,
                    person_id=bo.id,
                    name="Bo Holm",
                    email=BO,
                    method="kode",
                    checked_in_at=datetime(2026, 5, 10, 9),
                    status=STATUS_CONFIRMED,
                ),
                TemadagParticipant(
                    temadag_id=days[3].id,
                    person_id=anne.id,
                    name="Anne Lund",
                    email=ANNE,
                    method="kode",
                    checked_in_at=datetime(2026, 6, 10, 9),
                    status=STATUS_PENDING,
                ),
            ]
        )
        record_result(s, ANNE, "opsporing", 9, 10, True, datetime(2026, 5, 1, 12), 24, secret=TEST_SECRET)
        overview = learner_overview(s, ANNE, today=date(2026, 12, 1))
        assert [p["email"] for p in overview["noeglepersoner"]] == [NP]  # not the one at another institution
        assert [d["title"] for d in overview["temadage"]] == ["Temadag om samtalen", f"Temadag {EVIL}"]
        page = render(overview)
        assert "<h2>Din nøgleperson</h2>" in page and f'<a href="mailto:{NP}">{NP}</a>' in page
        assert "Signe &lt;script&gt;" in page and EVIL not in page
        assert "10-04-2026: <strong>Temadag om samtalen</strong>, Mødelokale 1" in page
        assert "Temadag hun ikke var med på" not in page and "venter på bekræftelse" not in page
        assert "Kursusbevis: Opsporing (PDF)" in page and "/api/progress/mine/kursusbevis/opsporing.pdf" in page
        # the nøgleperson herself; and someone without any
        mine = render(learner_overview(s, NP))
        assert "(det er dig)" in mine and "Du har ikke været med på en temadag endnu." in mine
        assert 'href="/noegleperson" target="_top">For nøglepersoner</a>' in mine  # her tools
        assert 'href="/noegleperson"' not in page  # not for a learner
        assert "Du får et kursusbevis, når du har bestået et modul." in mine
        s.get(Person, person(s, NP).id).noegleperson = False
        s.flush()
        none = render(learner_overview(s, BO))
        assert "Vi har ingen nøgleperson på Vestskolen på listen." in none


# ---- the JSON API over real tornado ------------------------------------------------------------


class JourneyApiTest(tornado.testing.AsyncHTTPTestCase):
    def get_app(self):
        self.tmp = tempfile.mkdtemp()
        os.environ["RUSFOKUS_HOME"] = self.tmp
        (Path(self.tmp) / "secret.key").write_bytes(TEST_SECRET)  # the server's key: it checks what the tests sign
        os.environ["RUSFOKUS_DB"] = f"sqlite:///{self.tmp}/api.db"
        book = Path(self.tmp) / "book"
        book.mkdir()
        (book / journey.PAGE_MAP_NAME).write_text(json.dumps(MAP), encoding="utf-8")
        os.environ["RUSFOKUS_BOOK_DIR"] = str(book)
        os.environ["RUSFOKUS_COURSE_DIR"] = str(Path(self.tmp) / "course")
        get_settings.cache_clear()
        self.rf = Settings.from_env()
        web.startup(self.rf)
        with session_scope(self.rf.db_url) as s:
            import_roster(s, Roster(rows=rows()), now=datetime(2026, 1, 1), secret=TEST_SECRET)
        return tornado.web.Application(web.routes(self.rf))

    def tearDown(self):
        super().tearDown()
        for k in ("RUSFOKUS_HOME", "RUSFOKUS_DB", "RUSFOKUS_BOOK_DIR", "RUSFOKUS_COURSE_DIR"):
            os.environ.pop(k, None)
        get_settings.cache_clear()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def cookie(self, email):
        return f"rf_learner={identity.learner_token(email, secret=TEST_SECRET)}"

    def post(self, path, body, cookie=None, **headers):
        h = {
            "Content-Type": "application/json",
            "X-Rusfokus": "1",
            "Host": "kursus.example",
            "Origin": "https://kursus.example",
            "Sec-Fetch-Site": "same-origin",
        }
        if cookie:
            h["Cookie"] = cookie
        h.update(headers)
        h = {k: v for k, v in h.items() if v is not None}
        data = body if isinstance(body, (bytes, str)) else json.dumps(body)
        return self.fetch(path, method="POST", body=data, headers=h)

    def stored(self) -> int:
        with session_scope(self.rf.db_url) as s:
            return s.scalar(select(func.count()).select_from(PageRead))

    def mig(self, cookie=None):
        r = self.fetch("/api/progress/mig", headers={"Cookie": cookie} if cookie else {})
        return r.code, json.loads(r.body)

    def test_signed_in_learner_reads_pages_and_gets_her_state(self):
        anne = self.cookie(ANNE)
        code, state = self.mig(anne)
        assert code == 200 and state["kendt"] and state["laest"] == [] and state["sidst"] is None
        assert state["faggruppe"] == "skole" and state["test"]["opsporing"]["tekst"] == "Ikke startet"
        assert self.post("/api/progress/besoegt", {"page": M1[1]}, anne).code == 200
        r = self.post("/api/progress/laest", {"page": M1[1]}, anne)
        assert r.code == 200 and json.loads(r.body)["laest"] == [M1[1]]
        self.post("/api/progress/besoegt", {"page": M1[2]}, anne)
        r = self.post("/api/progress/laest", {"page": M1[2]}, anne)
        state = json.loads(r.body)
        assert state["laest"] == sorted(M1[1:3]) and state["sidst"] == M1[2] and state["fortsaet"] == M1[3]
        assert r.headers["Content-Type"].startswith("application/json") and r.headers["Cache-Control"] == "no-store"
        # pages read before she opened her link, handed over at once
        r = self.post("/api/progress/laest", {"pages": [M2[0], M2[1]]}, anne)
        assert sorted(json.loads(r.body)["laest"]) == sorted(M1[1:3] + M2)
        assert self.mig(anne)[1]["laest"] == sorted(M1[1:3] + M2)
        # her colleague sees nothing of it
        assert self.mig(self.cookie(BO))[1]["laest"] == []

    def test_identity_only_from_the_signed_cookie(self):
        # no cookie, a forged one, one of another kind: nothing is shown and nothing stored
        forged = identity.learner_token(ANNE, secret=b"x" * 64)
        admin_kind = identity.sign("admin", ANNE, secret=TEST_SECRET)
        for cookie in (None, f"rf_learner={forged}", f"rf_learner={admin_kind}", "rf_learner=" + ANNE):
            code, body = self.mig(cookie)
            assert code == 401 and set(body) == {"fejl"}, cookie
            r = self.post("/api/progress/laest", {"page": M1[1], "email": ANNE}, cookie)
            assert r.code == 401 and "laest" not in json.loads(r.body)
        assert self.stored() == 0
        # an e-mail in the body is never an identity: Bo's reads are Bo's
        r = self.post("/api/progress/laest", {"page": M1[1], "email": ANNE}, self.cookie(BO))
        assert r.code == 200
        assert self.mig(self.cookie(ANNE))[1]["laest"] == [] and self.mig(self.cookie(BO))[1]["laest"] == [M1[1]]

    def test_cross_site_requests_are_refused(self):
        anne = self.cookie(ANNE)
        refused = [
            {"X-Rusfokus": None},  # what a form or a simple cross-site fetch sends
            {"Origin": "https://evil.example"},
            {"Origin": "null"},
            {"Sec-Fetch-Site": "cross-site"},
            {"Sec-Fetch-Site": "same-site"},
        ]
        for headers in refused:
            r = self.post("/api/progress/laest", {"page": M1[1]}, anne, **headers)
            assert r.code == 403, headers
        r = self.post(
            "/api/progress/laest", f"page={M1[1]}", anne, **{"Content-Type": "application/x-www-form-urlencoded"}
        )
        assert r.code == 415
        assert self.stored() == 0
        # an older browser without Origin / Sec-Fetch-Site still needs the header
        r = self.post("/api/progress/laest", {"page": M1[1]}, anne, Origin=None, **{"Sec-Fetch-Site": None})
        assert r.code == 200 and self.stored() == 1

    def test_bad_pages_and_bodies_store_nothing(self):
        anne = self.cookie(ANNE)
        for body in (
            {"page": "book/ordliste"},
            {"page": "../../etc/passwd"},
            {"page": 7},
            {"pages": "x"},
            {"pages": [M1[1], "nope"]},
            {"pages": []},
            {},
            [M1[1]],
            "{not json",
        ):
            r = self.post("/api/progress/laest", body, anne)
            assert r.code == 400, body
            assert set(json.loads(r.body)) == {"fejl"}
        r = self.post("/api/progress/laest", {"pages": [M1[1]] * 5000}, anne)
        assert r.code == 413
        assert self.stored() == 0

    def test_revoked_learner_is_refused(self):
        with session_scope(self.rf.db_url) as s:
            revoke(s, ANNE, secret=TEST_SECRET)
        anne = self.cookie(ANNE)
        code, body = self.mig(anne)
        assert code == 403 and "slettet" in body["fejl"]
        assert self.post("/api/progress/laest", {"page": M1[1]}, anne).code == 403
        assert self.stored() == 0

    def test_valid_link_not_on_the_staff_list_is_kept_in_the_browser(self):
        stranger = self.cookie("ny@eksempel-kommune.example")
        assert self.mig(stranger) == (200, {"kendt": False})
        assert json.loads(self.post("/api/progress/laest", {"page": M1[1]}, stranger).body) == {"kendt": False}
        assert self.stored() == 0

    def test_no_page_map_is_a_clear_503(self):
        (Path(self.tmp) / "book" / journey.PAGE_MAP_NAME).unlink()
        code, body = self.mig(self.cookie(ANNE))
        assert code == 503 and "ikke bygget" in body["fejl"]
