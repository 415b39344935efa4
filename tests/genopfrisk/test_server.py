"""The loop on the session's real `rusfokus serve` (the ``server`` fixture, real time): a pass half a year ago,
`rusfokus genopfrisk run` opens her rounds, she takes all three over HTTP with her personal-link cookie, and the
public verify page and her kursusbevis PDF show the renewed date; a forged cookie gets nothing; what she wrote to
the coach is not in the database or the server's log. One browser check of a round page at 390 and 1280 px."""

from __future__ import annotations

import datetime as dt
import re
import urllib.error
import urllib.parse
import urllib.request

from sqlalchemy import select

from rusfokus import identity
from rusfokus.dansk import dato
from rusfokus.db import session_scope
from rusfokus.genopfrisk.models import PracticeLoop, PracticeRound
from rusfokus.migrations import upgrade
from rusfokus.progress.certificates import add_months, latest
from rusfokus.progress.hooks import record_result
from rusfokus.progress.models import Person
from rusfokus.progress.staff import OrgCache

from helpers.browser import run_axe
from helpers.pdf import pdf_text

TEST_SECRET = b"test-secret-k1-" * 4  # the server key these tests sign and revoke with

SECRET = "zq-serverhemmelig-5521"


def _db(server) -> str:
    return f"sqlite:///{server.home / 'rusfokus.db'}"


def _learner(server, email: str, name: str, days_ago: int = 200) -> list[int]:
    """A fictional person on the staff list who passed module 1 ``days_ago`` days ago; her round ids after
    `rusfokus genopfrisk run`."""
    url = _db(server)
    upgrade(url)
    now = dt.datetime.now().replace(microsecond=0)
    with session_scope(url) as s:
        inst = OrgCache(s).institution("Børn og Unge", "Dagtilbud", "Børnehuset Mælkebøtten")
        s.add(
            Person(
                email=email,
                name=name,
                faggruppe="Pædagog",
                institution_id=inst.id,
                noegleperson=False,
                status="aktiv",
                created_at=now,
                updated_at=now,
            )
        )
        s.flush()
        record_result(s, email, "opsporing", 9, 10, True, now - dt.timedelta(days=days_ago), 24, secret=TEST_SECRET)
    out = server.rusfokus("genopfrisk", "run")
    assert "rounds opened" in out.stdout, out
    with session_scope(url) as s:
        pid = s.scalar(select(Person.id).where(Person.email == email))
        return list(
            s.scalars(
                select(PracticeRound.id)
                .join(PracticeLoop, PracticeLoop.id == PracticeRound.loop_id)
                .where(PracticeLoop.person_id == pid)
                .order_by(PracticeRound.number)
            )
        )


def _http(server, path: str, cookie: str = "", form: dict | None = None) -> tuple[int, bytes]:
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    req = urllib.request.Request(server.url + path, data=data, headers={"Cookie": cookie} if cookie else {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _fill(page: str) -> dict:
    form = {"_csrf": re.search(r'name="_csrf" value="([^"]+)"', page).group(1), "samtaler": "2", "henvisninger": "0"}
    for name in sorted(set(re.findall(r'name="(item-[^"]+)"', page))):
        form[name] = re.findall(rf'name="{re.escape(name)}" value="([^"]+)"', page)[-1]
    for name in sorted(set(re.findall(r'name="(coach-\d+)"', page))):
        form[name] = f"Du er bekymret for din søn, {SECRET}"
    return form


def _pdf_has(data: bytes, text: str) -> bool:
    """Whether the PDF shows ``text`` (line breaks read as spaces)."""
    return text in " ".join(pdf_text(data).split())


def test_rounds_over_http_renew_the_kursusbevis(server):
    email = "karla.fiktiv@eksempel-kommune.example"
    rounds = _learner(server, email, "Karla Fiktiv")
    assert len(rounds) == 3
    cookie = f"{identity.LEARNER_COOKIE}={server.learner_token(email)}"
    forged = f"{identity.LEARNER_COOKIE}={identity.learner_token(email, secret=b'y' * 64)}"

    status, body = _http(server, "/genopfrisk/", forged)
    assert status == 403 and "personlige link" in body.decode()
    status, body = _http(server, "/genopfrisk/", cookie)
    assert status == 200
    for rid in rounds:
        assert f'href="/genopfrisk/runde/{rid}"'.encode() in body

    for rid in rounds:
        status, page = _http(server, f"/genopfrisk/runde/{rid}", cookie)
        assert status == 200
        form = _fill(page.decode())
        assert _http(server, f"/genopfrisk/runde/{rid}", forged, form)[0] == 403
        status, result = _http(server, f"/genopfrisk/runde/{rid}", cookie, form)
        assert status == 200, result[-1500:]
    renewed = add_months(dt.date.today(), 24)
    assert f"gælder nu til den {dato(renewed)}" in result.decode()

    with session_scope(_db(server)) as s:
        person = s.scalar(select(Person).where(Person.email == email))
        code = latest(s, person, "opsporing").code
    status, verify_page = _http(server, f"/api/progress/verify/{code}")
    assert status == 200 and renewed.strftime("%d-%m-%Y") in verify_page.decode()
    status, pdf = _http(server, "/api/progress/mine/kursusbevis/opsporing.pdf", cookie)
    assert status == 200 and pdf.startswith(b"%PDF")
    assert _pdf_has(pdf, dato(renewed))

    # what she wrote to the coach: not in the database, not in the server's log
    assert SECRET.encode() not in (server.home / "rusfokus.db").read_bytes()
    assert SECRET not in server.log.read_text(errors="replace")


def test_round_page_on_phone_and_laptop(server, browser):
    email = "lise.fiktiv@eksempel-kommune.example"
    rid = _learner(server, email, "Lise Fiktiv", days_ago=40)[0]
    for width, height in ((390, 844), (1280, 900)):
        ctx = browser.new_context(locale="da-DK", viewport={"width": width, "height": height})
        ctx.add_cookies([server.cookie(identity.LEARNER_COOKIE, server.learner_token(email))])
        page = ctx.new_page()
        page.goto(f"{server.url}/genopfrisk/runde/{rid}")
        assert page.locator("h1").inner_text() == "Runde 1"
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert run_axe(page) == []
        if width == 1280:  # send it empty first: the Danish errors, then answered: the feedback
            page.get_by_role("button", name="Send runden").click()
            assert page.get_by_role("alert").is_visible()
            assert "Spørgsmål 1: vælg et svar." in page.get_by_role("alert").inner_text()
            for group in page.locator("fieldset").all():
                group.locator("input[type=radio]").first.check()
            for box in page.locator("textarea").all():
                box.fill("Det lyder svært for dig.")
            page.get_by_label("Hvor mange korte samtaler").fill("3")
            page.get_by_label("Hvor mange gange har du henvist").fill("1")
            page.get_by_role("button", name="Send runden").click()
            assert page.get_by_role("heading", name="Svar fra træneren").is_visible()
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            assert run_axe(page) == []
        ctx.close()
