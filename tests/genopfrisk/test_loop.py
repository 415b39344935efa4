"""The refresher loop end to end with a clock the test moves: a pass → the round mails and one reminder at the
right times through a real SMTP server on loopback → rounds taken over HTTP (the loop's real handlers on a real
tornado server) → the kursusbevis renewed (verify and the PDF's text show the new date). A missed round is
reminded exactly once; another learner's or a forged cookie can neither see nor take a round; bad input gets
a Danish error and nothing is written; what the learner wrote to the coach is nowhere afterwards."""

from __future__ import annotations

import datetime as dt
import re
import urllib.error
import urllib.parse
import urllib.request

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from rusfokus import gdpr, identity
from rusfokus.dansk import dato
from rusfokus.db import session_scope
from rusfokus.effekt.models import PracticeCount
from rusfokus.genopfrisk import loop
from rusfokus.genopfrisk.models import PracticeAnswer, PracticeLoop, PracticeRound
from rusfokus.mail.worker import run_queue
from rusfokus.outbox.models import OutboxEvent
from rusfokus.progress.certificates import add_months, certificate_pdf, latest, verify
from rusfokus.progress.hooks import record_result
from rusfokus.progress.models import Person

from helpers.builthtml import lix
from helpers.mail import add_person, body_of, cli
from helpers.pdf import pdf_text

TEST_SECRET = b"test-secret-k1-" * 4  # the server key these tests sign and revoke with

PASSED_AT = dt.datetime(2027, 1, 10, 9, 0)
ANNA = "anna.fiktiv@eksempel-kommune.example"
BO = "bo.fiktiv@eksempel-kommune.example"
SECRET_REPLY = "Det lyder som om du er træt af det hele, zq-hemmelig-7781"


# ---- helpers --------------------------------------------------------------------------------


def at(months: int, days: int = 0, hour: int = 9) -> dt.datetime:
    day = add_months(PASSED_AT.date(), months) + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour, 0))


def tick(settings, smtp, clock, now: dt.datetime) -> list:
    """The periodic work at ``now``: the loop queues, the mail worker sends. Returns the new messages."""
    clock.now = now
    before = len(smtp.messages)
    with session_scope(settings.db_url) as s:
        loop.run(s, settings, now)
    result = run_queue(settings, now_fn=lambda: now)
    assert not result.error, result.error
    return smtp.parsed()[before:]


def cookie_for(settings, email: str, secret: bytes | None = None) -> str:
    token = identity.learner_token(email, secret=secret or identity.load_secret(settings.secret_file))
    return f"{identity.LEARNER_COOKIE}={token}"


def http(pages, path: str, cookie: str = "", form: dict | None = None) -> tuple[int, str]:
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    req = urllib.request.Request(pages.url + path, data=data, headers={"Cookie": cookie} if cookie else {})
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def round_ids(settings, email: str) -> list[int]:
    with session_scope(settings.db_url) as s:
        person = s.scalar(select(Person).where(Person.email == email))
        return list(
            s.scalars(
                select(PracticeRound.id)
                .join(PracticeLoop, PracticeLoop.id == PracticeRound.loop_id)
                .where(PracticeLoop.person_id == person.id)
                .order_by(PracticeRound.number)
            )
        )


def fill(page: str, *, correct: bool = True, samtaler: str = "4", henvisninger: str = "1", reply=SECRET_REPLY):
    """The form of a round page, answered: every item (first option, or the right one from the pool)."""
    csrf = re.search(r'name="_csrf" value="([^"]+)"', page).group(1)
    form = {"_csrf": csrf, "samtaler": samtaler, "henvisninger": henvisninger}
    for name in sorted(set(re.findall(r'name="(item-[^"]+)"', page))):
        options = re.findall(rf'name="{re.escape(name)}" value="([^"]+)"', page)
        form[name] = options[0]
    for name in sorted(set(re.findall(r'name="(coach-\d+)"', page))):
        form[name] = reply
    return form


def pass_module(settings, email: str, name: str, when: dt.datetime = PASSED_AT) -> None:
    with session_scope(settings.db_url) as s:
        if s.scalar(select(Person).where(Person.email == email)) is None:
            add_person(s, name, email)
        record_result(s, email, "opsporing", 9, 10, True, when, settings.certificate_months, secret=TEST_SECRET)


# ---- the loop ----------------------------------------------------------------------------------


def test_loop_end_to_end(settings, smtp_server, clock, pages):
    pass_module(settings, ANNA, "Anna Fiktiv")
    with session_scope(settings.db_url) as s:
        person = s.scalar(select(Person).where(Person.email == ANNA))
        first_expiry = latest(s, person, "opsporing").expires_on
    assert first_expiry == add_months(PASSED_AT.date(), 24)

    # nothing before the first round is due
    assert tick(settings, smtp_server, clock, at(1, -1)) == []
    r1, r2, r3 = round_ids(settings, ANNA)

    # round 1 opens: one mail, to her, naming the module and the rounds page, with her personal link
    (mail,) = tick(settings, smtp_server, clock, at(1))
    assert mail["To"].addresses[0].addr_spec == ANNA
    assert mail["Subject"] == "Din korte runde i Opsporing er klar"
    body = body_of(mail)
    assert "https://rusfokus.eksempel-kommune.example/genopfrisk/" in body
    assert "/adgang/" in body
    assert tick(settings, smtp_server, clock, at(1, 1)) == []  # once
    assert tick(settings, smtp_server, clock, at(1, 13)) == []  # the reminder waits RUSFOKUS_PRACTICE_REMIND_DAYS

    # the one reminder, 14 days after it opened
    (reminder,) = tick(settings, smtp_server, clock, at(1, 14))
    assert reminder["Subject"] == "Husk din korte runde i Opsporing"
    assert tick(settings, smtp_server, clock, at(1, 15)) == []

    # she takes round 1 over HTTP
    anna = cookie_for(settings, ANNA)
    status, overview = http(pages, "/genopfrisk/", anna)
    assert status == 200 and f'href="/genopfrisk/runde/{r1}"' in overview
    assert f'href="/genopfrisk/runde/{r2}"' not in overview  # round 2 is not open yet
    status, page = http(pages, f"/genopfrisk/runde/{r1}", anna)
    assert status == 200
    assert "bliver ikke gemt" in page  # the page says the coach text is not stored
    form = fill(page)
    items_r1 = {k[5:] for k in form if k.startswith("item-")}
    assert len(items_r1) == 3
    status, result = http(pages, f"/genopfrisk/runde/{r1}", anna, form)
    assert status == 200, result
    assert "Svar fra træneren" in result and "Træneren læser dit svar som" in result
    # taking it again is refused, nothing doubled
    status, again = http(pages, f"/genopfrisk/runde/{r1}", anna, form)
    assert status == 409 and "allerede taget" in again

    # round 2 opens and is never taken: its mail, its one reminder, and nothing more, ever
    (open2,) = tick(settings, smtp_server, clock, at(3))
    assert "er klar" in open2["Subject"]
    (remind2,) = tick(settings, smtp_server, clock, at(3, 14))
    assert remind2["Subject"].startswith("Husk")
    for days in (15, 20, 29, 30, 45, 60):
        assert tick(settings, smtp_server, clock, at(3, days)) == []
    with session_scope(settings.db_url) as s:
        overview_rows = loop.loop_overview(s, settings, at(3, 29).date())
    assert [r.state for r in overview_rows] == [loop.DROPPED]  # 14 days after the reminder: dropped out

    # round 3 opens: only round 3 is mailed (round 2 is not mailed again)
    (open3,) = tick(settings, smtp_server, clock, at(6))
    assert "er klar" in open3["Subject"]
    assert tick(settings, smtp_server, clock, at(6, 1)) == []

    # she comes back: takes round 2 (late) and round 3; no judgement item twice in her rounds
    seen = set(items_r1)
    for rid in (r2, r3):
        status, page = http(pages, f"/genopfrisk/runde/{rid}", anna)
        assert status == 200
        form = fill(page)
        items = {k[5:] for k in form if k.startswith("item-")}
        assert items and not (items & seen), (items, seen)
        seen |= items
        status, result = http(pages, f"/genopfrisk/runde/{rid}", anna, form)
        assert status == 200, result
    renewed_until = add_months(at(6, 1).date(), 24)
    assert "Dit kursusbevis gælder nu til den" in result

    # no more mails after the loop is done
    assert tick(settings, smtp_server, clock, at(6, 20)) == []
    assert len(smtp_server.messages) == 5  # open 1, remind 1, open 2, remind 2, open 3

    with session_scope(settings.db_url) as s:
        person = s.scalar(select(Person).where(Person.email == ANNA))
        cert = latest(s, person, "opsporing")
        assert cert.expires_on == renewed_until > first_expiry
        v = verify(s, cert.code, today=at(6, 1).date())
        assert v.expires_on == renewed_until
        text = pdf_text(certificate_pdf(s, cert, kommune="Eksempel Kommune"))
        answers = s.scalar(select(func.count()).select_from(PracticeAnswer))
        counts = list(s.scalars(select(PracticeCount).where(PracticeCount.person_id == person.id)))
        events = list(s.scalars(select(OutboxEvent).where(OutboxEvent.kind == "renewed")))
        states = [r.state for r in loop.loop_overview(s, settings, at(6, 1).date())]
    assert f"Gyldigt til:{dato(renewed_until)}" in text.replace("\n", "").replace(": ", ":")
    assert dato(first_expiry) not in text
    assert answers == len(seen) == 9
    assert sorted((c.samtaler, c.henvisninger) for c in counts) == [(4, 1)] * 3
    assert [(e.person_id, e.module) for e in events] == [(person.id, "opsporing")]
    assert states == [loop.DONE]

    # what she wrote to the coach is nowhere in the database
    db_file = settings.home / "rusfokus.db"
    assert b"zq-hemmelig-7781" not in db_file.read_bytes()
    wal = db_file.with_name("rusfokus.db-wal")
    assert not wal.exists() or b"zq-hemmelig-7781" not in wal.read_bytes()


def test_other_learner_and_forged_cookie_cannot_see_or_take(settings, smtp_server, clock, pages):
    pass_module(settings, ANNA, "Anna Fiktiv")
    pass_module(settings, BO, "Bo Fiktiv")
    tick(settings, smtp_server, clock, at(1))
    r1 = round_ids(settings, ANNA)[0]
    anna, bo = cookie_for(settings, ANNA), cookie_for(settings, BO)
    forged = cookie_for(settings, ANNA, secret=b"x" * 64)

    status, page = http(pages, f"/genopfrisk/runde/{r1}", anna)
    assert status == 200
    form = fill(page)

    # Bo: her round does not exist for him, to see or to take (even with her form's fields)
    assert http(pages, f"/genopfrisk/runde/{r1}", bo)[0] == 404
    assert http(pages, f"/genopfrisk/runde/{r1}", bo, form)[0] == 403  # her CSRF value is bound to her
    bo_page = http(pages, f"/genopfrisk/runde/{round_ids(settings, BO)[0]}", bo)[1]
    status, body = http(pages, f"/genopfrisk/runde/{r1}", bo, {**form, "_csrf": fill(bo_page)["_csrf"]})
    assert status in (403, 404)
    # a forged cookie and no cookie: the Danish "use your link" page
    for cookie in (forged, ""):
        status, body = http(pages, "/genopfrisk/", cookie)
        assert status == 403 and "personlige link" in body
        assert http(pages, f"/genopfrisk/runde/{r1}", cookie, form)[0] == 403
    with session_scope(settings.db_url) as s:
        assert s.scalar(select(func.count()).select_from(PracticeAnswer)) == 0
        assert s.get(PracticeRound, r1).taken_at is None
    # a round not open yet cannot be opened early
    r2 = round_ids(settings, ANNA)[1]
    status, body = http(pages, f"/genopfrisk/runde/{r2}", anna)
    assert status == 409 and "ikke åben endnu" in body


def test_bad_input_gets_danish_errors_and_nothing_is_written(settings, smtp_server, clock, pages):
    pass_module(settings, ANNA, "Anna Fiktiv")
    tick(settings, smtp_server, clock, at(1))
    r1 = round_ids(settings, ANNA)[0]
    anna = cookie_for(settings, ANNA)
    page = http(pages, f"/genopfrisk/runde/{r1}", anna)[1]
    good = fill(page)
    first_item = next(k for k in good if k.startswith("item-"))
    cases = [
        ({first_item: ""}, ": vælg et svar."),
        ({first_item: "zz"}, ": vælg et svar."),
        ({"samtaler": "-2"}, "kan ikke være mindre end 0"),
        ({"henvisninger": "tre"}, "skriv et helt tal"),
        ({"samtaler": "5000"}, "Tjek tallet"),
        ({"coach-1": "   "}, "Samtale 1: skriv, hvad du vil svare."),
        ({"coach-1": "x" * 1001}, "dit svar er for langt"),
    ]
    for change, message in cases:
        status, body = http(pages, f"/genopfrisk/runde/{r1}", anna, {**good, **change})
        assert status == 400, change
        assert message in body, (change, body[-2000:])
        assert 'role="alert"' in body
    with session_scope(settings.db_url) as s:
        assert s.scalar(select(func.count()).select_from(PracticeAnswer)) == 0
        assert s.scalar(select(func.count()).select_from(PracticeCount)) == 0
        assert s.get(PracticeRound, r1).taken_at is None
    # and the good form still goes through
    assert http(pages, f"/genopfrisk/runde/{r1}", anna, good)[0] == 200


def test_old_pass_starts_no_loop_and_settings_are_checked(settings):
    pass_module(settings, ANNA, "Anna Fiktiv", when=PASSED_AT - dt.timedelta(days=400))
    with session_scope(settings.db_url) as s:
        assert loop.enrol(s, settings, PASSED_AT) == []
    import dataclasses

    import pytest

    for bad in ("", "3,1", "1,x", "0,2"):
        with pytest.raises(loop.LoopConfigError, match="RUSFOKUS_PRACTICE_MONTHS"):
            loop.practice_months(dataclasses.replace(settings, practice_months=bad))
    assert loop.practice_months(dataclasses.replace(settings, practice_months="2, 4")) == (2, 4)
    # a module without a usable pool: no items (the round keeps the coach and the counts), no crash
    assert loop._pool(dataclasses.replace(settings, content_dir=settings.home / "ingen"), "opsporing") == []
    assert len(loop._pool(settings, "opsporing")) >= 9


def test_gdpr_export_and_erase(settings, smtp_server, clock, pages):
    pass_module(settings, ANNA, "Anna Fiktiv")
    tick(settings, smtp_server, clock, at(1))
    r1 = round_ids(settings, ANNA)[0]
    anna = cookie_for(settings, ANNA)
    assert http(pages, f"/genopfrisk/runde/{r1}", anna, fill(http(pages, f"/genopfrisk/runde/{r1}", anna)[1]))[0] == 200
    with session_scope(settings.db_url) as s:
        data = gdpr.export_person(s, ANNA, course_dir=settings.home / "no-course")["genopfrisk"]
        assert data[0]["module"] == "opsporing" and len(data[0]["rounds"]) == 3
        assert len(data[0]["rounds"][0]["answers"]) == 3
        assert "zq-hemmelig" not in repr(data)
        gdpr.delete_person(s, ANNA, secret=TEST_SECRET)
    with session_scope(settings.db_url) as s:
        for model in (PracticeLoop, PracticeRound, PracticeAnswer):
            assert s.scalar(select(func.count()).select_from(model)) == 0
    # her cookie no longer opens anything
    assert http(pages, "/genopfrisk/", anna)[0] == 403


def test_learner_text_is_plain_danish(settings, smtp_server, clock, pages):
    """LIX <= 40 for what the loop itself says (the pool's items and the coach's statements are measured
    by their own content tests), and no Python on the pages."""
    pass_module(settings, ANNA, "Anna Fiktiv")
    mails = tick(settings, smtp_server, clock, at(1)) + tick(settings, smtp_server, clock, at(1, 14))
    assert len(mails) == 2
    for mail in mails:
        text = body_of(mail)
        blocks = [b for b in text.split("\n") if b.strip() and "http" not in b]
        assert lix(blocks) <= 40, (lix(blocks), text)
    anna = cookie_for(settings, ANNA)
    r1 = round_ids(settings, ANNA)[0]
    for path in ("/genopfrisk/", f"/genopfrisk/runde/{r1}"):
        status, page = http(pages, path, anna)
        assert status == 200
        soup = BeautifulSoup(page, "html.parser")
        main = soup.find("main")
        for tag in main.select(".case, .spoergsmaal, fieldset label, p:has(> strong)"):
            tag.decompose()  # the items' and the coach's own text
        blocks = [t.strip() for t in main.get_text("\n").split("\n") if t.strip()]
        assert lix(blocks) <= 40, (path, lix(blocks), blocks)
        for word in ("Traceback", "None", "def ", "self.", "{{", "{%"):
            assert word not in page, (path, word)


@pytest.mark.slow  # measured >= 5 s
def test_cli_run_with_a_clock(settings, smtp_server):
    pass_module(settings, ANNA, "Anna Fiktiv")
    out = cli(settings, "genopfrisk", "run", "--now", at(1).isoformat())
    assert out.stdout.startswith("1 new loops, 1 rounds opened, 0 reminders"), out
    out = cli(settings, "genopfrisk", "run", "--now", at(1, 14).isoformat())
    assert "0 new loops, 0 rounds opened, 1 reminders" in out.stdout
    out = cli(settings, "genopfrisk", "status", "--now", at(1, 14).isoformat())
    assert "opsporing\tdue" in out.stdout
    bad = cli(settings, "genopfrisk", "run", "--now", "i morgen", check=False)
    assert bad.returncode != 0 and "--now" in bad.stderr


def test_the_servers_timer_opens_rounds_and_queues_mail(settings, pages):
    """`rusfokus serve` runs the loop by itself (genopfrisk.web.startup: a tornado PeriodicCallback)."""
    import dataclasses
    import threading
    import time

    from rusfokus.genopfrisk import web
    from rusfokus.mail.models import MailMessage

    fast = dataclasses.replace(settings, practice_poll_seconds=1.0)
    pass_module(settings, ANNA, "Anna Fiktiv", when=dt.datetime.now() - dt.timedelta(days=40))
    pages.loop.add_callback(web.startup, fast)
    try:
        deadline = time.monotonic() + 30
        kinds = []
        while time.monotonic() < deadline and not kinds:
            with session_scope(settings.db_url) as s:
                kinds = list(s.scalars(select(MailMessage.kind)))
            time.sleep(0.2)
        assert kinds == ["practice"]
    finally:
        done = threading.Event()
        pages.loop.add_callback(lambda: (web.shutdown(), done.set()))
        assert done.wait(20)
