"""E-mail (issue 13, item 6) against a REAL SMTP server on loopback (aiosmtpd).

Every test queues mail in a real (temporary, migrated) SQLite database, sends it
with the real worker over a real SMTP connection and reads what the server
received. People and addresses are fictional.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from rusfokus.db import session_scope
from rusfokus.progress import module_title
from rusfokus.progress.models import STATUS_LEFT, Certificate, Person

from helpers.mail import (
    ROOT,
    add_person,
    audit,
    body_of,
    cli,
    configure,
    free_port,
    link_in,
    people,
    rows,
    start_smtp,
)

# --- personal links -------------------------------------------------------------------------------------------


def test_personal_link_mail_reaches_the_smtp_server_once_with_a_working_personal_link(setup, smtp_server):
    from rusfokus import identity
    from rusfokus.mail import queue_personal_link
    from rusfokus.mail.worker import run_queue

    settings = setup
    (pid,) = people(settings, ("Mette Æblegård", "mette.aeblegaard@eksempel-kommune.example"))
    with session_scope(settings.db_url) as s:
        req = queue_personal_link(s, s.get(Person, pid), "admin:konsulent", settings=settings)
    assert req.created and req.status == "queued" and "kø" in req.danish
    result = run_queue(settings)
    assert (result.sent, result.error) == (1, ""), result.summary()
    assert run_queue(settings, force=True).sent == 0  # nothing left: never twice
    (msg,) = smtp_server.parsed()
    mail_from, rcpts, _raw = smtp_server.messages[0]
    assert mail_from == "rusfokus@eksempel-kommune.example"
    assert rcpts == ["mette.aeblegaard@eksempel-kommune.example"]
    assert msg["To"].addresses[0].display_name == "Mette Æblegård"
    assert msg["From"].addresses[0].addr_spec == "rusfokus@eksempel-kommune.example"
    assert msg["From"].addresses[0].display_name == "Rusmiddelcenter Eksempelby"  # from kommune.yml
    assert msg["Reply-To"].addresses[0].addr_spec == "rusmiddelcenter@eksempel-kommune.example"
    assert msg["Subject"] == "Dit personlige link til kurset Rusfokus"
    assert msg["Message-ID"].endswith("@eksempel-kommune.example>")
    text = body_of(msg)
    assert text.startswith("Hej Mette Æblegård\n")
    assert "Eksempel Kommune" in text and "Linket er kun til dig." in text and "Del det ikke med andre." in text
    token = link_in(text)
    secret = identity.load_secret(settings.secret_file)
    assert identity.verify("learner", token, secret=secret) == "mette.aeblegaard@eksempel-kommune.example"
    # the queue and the audit log never hold the link or the address
    assert [(a, t) for a, t, _d in audit(settings)] == [
        ("mail.queue", f"person #{pid}"),
        ("mail.sent", f"person #{pid}"),
    ]
    for _a, _t, detail in audit(settings):
        assert token not in detail and "adgang" not in detail and "@" not in detail
    from rusfokus.mail.models import MailMessage

    with session_scope(settings.db_url) as s:
        dump = " ".join(str(v) for row in s.execute(select(*MailMessage.__table__.columns)) for v in row)
    assert token not in dump and "mette" not in dump


def test_texts_are_plain_danish_du_form_with_a_short_lix():
    from rusfokus.mail.texts import Sender, invitation_text, link_text, reminder_text

    sender = Sender("Eksempel Kommune", "Rusmiddelcenter Eksempelby", "Rusmiddelcenter Eksempelby")
    link = "https://x.example/adgang/abc.def"
    texts = [
        link_text("Ida", link, sender)[1],
        invitation_text(
            "Ida",
            link,
            sender,
            title="Børn og alkohol",
            day=dt.date(2027, 3, 11),
            start=dt.time(9, 0),
            end=dt.datetime(2027, 3, 11, 12, 0),
            place="Rådhuset",
            modules=["Tidlig opsporing"],
            facilitator="Pia Hansen",
        )[1],
        reminder_text(
            "Ida", link, sender, items=[("Tidlig opsporing", dt.date(2027, 4, 1))], today=dt.date(2027, 3, 1)
        )[1],
        reminder_text(
            "Ida",
            link,
            sender,
            items=[("Tidlig opsporing", dt.date(2027, 2, 1)), ("Motiverende samtale", dt.date(2027, 4, 1))],
            today=dt.date(2027, 3, 1),
        )[1],
    ]
    for text in texts:
        words = re.findall(r"[A-Za-zÆØÅæøå]+", text.replace(link, ""))
        sentences = max(1, len(re.findall(r"[.!?:]\s|\n\n", text)))
        lix = len(words) / sentences + 100 * sum(len(w) > 6 for w in words) / len(words)
        assert lix <= 40, (lix, text)
        assert " De " not in text and " Dem " not in text  # du-form
        assert "Linket er kun til dig." in text and link in text
    assert "torsdag den 11. marts 2027" in texts[1] and "kl. 9.00 til 12.00" in texts[1]
    assert "udløber den 1. april 2027" in texts[2]
    assert "- Tidlig opsporing: udløb den 1. februar 2027\n- Motiverende samtale: udløber den 1. april 2027" in texts[3]


def test_names_with_cr_lf_never_break_the_headers(setup, smtp_server):
    from rusfokus.mail import queue_personal_link
    from rusfokus.mail.worker import run_queue

    settings = setup
    evil = "Eva Ny\r\nBcc: angriber@andet.example\r\n\r\nFalsk tekst"
    (pid,) = people(settings, (evil, "eva.ny@eksempel-kommune.example"))
    with session_scope(settings.db_url) as s:
        queue_personal_link(s, s.get(Person, pid), "admin:konsulent", settings=settings)
    assert run_queue(settings).sent == 1
    _from, rcpts, raw = smtp_server.messages[0]
    assert rcpts == ["eva.ny@eksempel-kommune.example"]  # no extra recipient
    (msg,) = smtp_server.parsed()
    assert msg["Bcc"] is None and msg.get_all("To") and len(msg.get_all("To")) == 1
    head = raw.split(b"\r\n\r\n", 1)[0]
    names = {line.split(b":", 1)[0] for line in head.split(b"\r\n") if not line[:1].isspace()}
    assert names == {
        b"Subject",
        b"From",
        b"To",
        b"Reply-To",
        b"Date",
        b"Message-ID",
        b"Auto-Submitted",
        b"Content-Language",
        b"Content-Type",
        b"Content-Transfer-Encoding",
        b"MIME-Version",
    }
    assert msg["To"].addresses[0].display_name == "Eva Ny Bcc: angriber@andet.example Falsk tekst"
    assert msg["To"].addresses[0].addr_spec == "eva.ny@eksempel-kommune.example"
    assert body_of(msg).startswith("Hej Eva Ny Bcc: angriber@andet.example Falsk tekst\n")


def test_header_text_and_address_refuse_injection():
    from rusfokus.mail.texts import AddressError, address, header_text

    assert header_text("a\rb\nc\u2028d\u202ee\x00f") == "a b c d e f"
    for bad in ("a@b.dk\r\nBcc: x@y.dk", "a@b.dk, c@d.dk", "Navn <a@b.dk>", "ingen-snabel", "a@b"):
        with pytest.raises(AddressError):
            address(bad)
    assert address("ida@eksempel.dk", "Ida\nHansen").display_name == "Ida Hansen"


def test_left_revoked_and_erased_people_are_never_mailed(setup, smtp_server):
    from rusfokus import identity
    from rusfokus.gdpr import delete_person
    from rusfokus.identity import revocation
    from rusfokus.mail.queue import NotMailable, queue_links, queue_personal_link
    from rusfokus.mail.worker import run_queue

    settings = setup
    a, b, c, d = people(
        settings,
        ("Anna Aktiv", "anna@eksempel-kommune.example"),
        ("Frede Fratrådt", "frede@eksempel-kommune.example", "Børnehuset Solsikken", STATUS_LEFT),
        ("Rie Spærret", "rie@eksempel-kommune.example"),
        ("Bo Senere", "bo@eksempel-kommune.example"),
    )
    with session_scope(settings.db_url) as s:
        revocation.revoke(s, "rie@eksempel-kommune.example", secret=identity.load_secret(settings.secret_file))
    with session_scope(settings.db_url) as s:
        with pytest.raises(NotMailable) as exc:
            queue_personal_link(s, s.get(Person, b), "admin:konsulent", settings=settings)
        assert "fratrådt" in exc.value.danish
        with pytest.raises(NotMailable, match="revoked"):
            queue_personal_link(s, s.get(Person, c), "admin:konsulent", settings=settings)
        result = queue_links(s, settings, "cli:test", institution="børnehuset  solsikken")
    assert len(result.queued) == 2 and result.skipped == [(c, "revoked")]  # fratrådte are not on the list
    # Bo leaves and Anna is erased after their mails were queued: the worker checks again before sending
    with session_scope(settings.db_url) as s:
        s.get(Person, d).status = STATUS_LEFT
        delete_person(s, "anna@eksempel-kommune.example", "cli:test", secret=identity.load_secret(settings.secret_file))
    out = run_queue(settings)
    assert (out.sent, out.cancelled) == (0, 2)
    assert smtp_server.messages == []
    assert {r[1] for r in rows(settings).values()} == {"cancelled"}
    assert sorted(t for act, t, _d in audit(settings) if act == "mail.cancelled") == [f"person #{a}", f"person #{d}"]


def test_queue_personal_link_is_idempotent_and_guards_double_clicks(setup, smtp_server):
    from rusfokus.mail import queue_personal_link
    from rusfokus.mail.queue import queue_links
    from rusfokus.mail.worker import run_queue

    settings = setup
    (pid,) = people(settings, ("Ole Olsen", "ole@eksempel-kommune.example"))
    with session_scope(settings.db_url) as s:
        first = queue_personal_link(s, s.get(Person, pid), "admin:a", settings=settings)
        second = queue_personal_link(s, s.get(Person, pid), "admin:a", settings=settings)  # double click
    assert first.created and not second.created and second.message_id == first.message_id
    assert "på vej" in second.danish
    run_queue(settings)
    with session_scope(settings.db_url) as s:
        soon = queue_personal_link(
            s, s.get(Person, pid), "admin:a", settings=settings
        )  # clicked again right after it went out
        assert not soon.created and "Vent lidt" in soon.danish
        assert queue_links(s, settings, "cli:t", email="OLE@eksempel-kommune.example").already == [(pid, "sent")]
        later = queue_personal_link(
            s, s.get(Person, pid), "admin:a", settings=settings, now=dt.datetime.now() + dt.timedelta(minutes=6)
        )
    assert later.created
    run_queue(settings)
    assert len(smtp_server.messages) == 2  # the explicit second request, nothing more
    from rusfokus.mail import mail_problem, person_mail_log

    assert mail_problem(settings) is None
    with session_scope(settings.db_url) as s:
        log = person_mail_log(s, pid)
    assert [(e["art"], e["tilstand"]) for e in log] == [("Personligt link", "Sendt")] * 2
    assert all(e["sent_at"] for e in log)


def test_mail_off_is_a_clear_refusal(monkeypatch, tmp_path):
    from rusfokus.mail import MailOff, queue_personal_link

    settings = configure(monkeypatch, tmp_path, 25, RUSFOKUS_SMTP_HOST="")
    (pid,) = people(settings, ("Ole Olsen", "ole@eksempel-kommune.example"))
    with session_scope(settings.db_url) as s:
        with pytest.raises(MailOff, match="RUSFOKUS_SMTP_HOST") as exc:
            queue_personal_link(s, s.get(Person, pid), "admin:a", settings=settings)
    assert "Print linket" in exc.value.danish


# --- temadag invitations and refresher reminders ---------------------------------------------------------------


def test_temadag_invitation_once_per_person_with_calendar_file(setup, smtp_server):
    from rusfokus.mail.queue import MailError, queue_invitations
    from rusfokus.mail.worker import run_queue
    from rusfokus.temadag import planning, store

    settings = setup
    people(
        settings,
        ("Mette Hansen", "mette@eksempel-kommune.example"),
        ("Jens Berg", "jens@eksempel-kommune.example", "Jobcentret"),
        ("Lise Fratrådt", "lise@eksempel-kommune.example", "Børnehuset Solsikken", STATUS_LEFT),
    )
    day = dt.date.today() + dt.timedelta(days=30)
    with session_scope(settings.db_url) as s:
        plan = planning.validate_plan(
            {
                "title": "Børn og alkohol",
                "date": day.isoformat(),
                "start": "09:00",
                "duration_min": "180",
                "place": "Rådhuset, mødelokale 2",
                "modules": "opsporing,bekymringssamtale",
                "facilitator": "Pia Nøgleperson",
                "facilitator_email": "pia@eksempel-kommune.example",
                "institutions": "Børnehuset Solsikken",
            }
        )
        tid = store.create(s, plan, "admin", dt.datetime.now()).id
        first = queue_invitations(s, settings, tid, "cli:t")
        again = queue_invitations(s, settings, tid, "cli:t")
        with pytest.raises(MailError, match="no temadag"):
            queue_invitations(s, settings, tid + 99, "cli:t")
    assert len(first.queued) == 1 and again.queued == [] and len(again.already) == 1  # Jens is not invited
    with session_scope(settings.db_url) as s:  # Jobcentret is invited too, then taken off before sending
        row = store.get(s, tid)
        row.institutions = "Børnehuset Solsikken\nJobcentret"
        assert len(queue_invitations(s, settings, tid, "cli:t").queued) == 1
        row.institutions = "Børnehuset Solsikken"
    out = run_queue(settings)
    assert (out.sent, out.cancelled) == (1, 1)
    assert [d for a, _t, d in audit(settings) if a == "mail.cancelled"][0].endswith("no longer invited")
    (msg,) = smtp_server.parsed()
    assert msg["Subject"] == "Invitation til temadag: Børn og alkohol"
    text = body_of(msg)
    from rusfokus.mail.texts import dansk_dato

    assert f"Dato: {dansk_dato(day, weekday=True)}" in text and "Tid: kl. 9.00 til 12.00" in text
    assert f"Emner: {module_title('opsporing')}, {module_title('bekymringssamtale')}" in text
    assert "Facilitator: Pia Nøgleperson (pia@eksempel-kommune.example)" in text
    link_in(text)
    (ics,) = [p for p in msg.iter_attachments() if p.get_content_type() == "text/calendar"]
    cal = ics.get_content()
    cal = cal.decode() if isinstance(cal, bytes) else cal
    assert "SUMMARY:Børn og alkohol" in cal and f"DTSTART;TZID=Europe/Copenhagen:{day:%Y%m%d}T090000" in cal


def test_refresher_reminders_once_per_expiry_one_mail_per_person_and_not_after_renewal(setup, smtp_server):
    from rusfokus.mail.queue import queue_reminders
    from rusfokus.mail.texts import dansk_dato
    from rusfokus.mail.worker import run_queue

    settings = setup
    today = dt.date.today()
    a, b, c, d = people(
        settings,
        ("Ane Snart", "ane@eksempel-kommune.example"),
        ("Bent Fornyet", "bent@eksempel-kommune.example"),
        ("Cai Gyldig", "cai@eksempel-kommune.example"),
        ("Dorte To", "dorte@eksempel-kommune.example"),
    )
    certs = [
        (a, "opsporing", 10),
        (b, "opsporing", -5),
        (c, "opsporing", 400),
        (d, "opsporing", -20),
        (d, "motiverende-samtale", 30),
        (d, "dobbeltdiagnose", 50),
    ]
    with session_scope(settings.db_url) as s:
        for i, (pid, module, days) in enumerate(certs):
            s.add(
                Certificate(
                    person_id=pid,
                    module=module,
                    issued_on=today - dt.timedelta(days=700),
                    expires_on=today + dt.timedelta(days=days),
                    code=f"CODE-{i:04d}-TEST",
                )
            )
    with session_scope(settings.db_url) as s:
        first = queue_reminders(s, settings, "cron")
        again = queue_reminders(s, settings, "cron")
    assert len(first.queued) == 5 and again.queued == [] and len(again.already) == 5
    with session_scope(settings.db_url) as s:  # Bent and Dorte pass again before the mail goes out
        s.add(
            Certificate(
                person_id=b,
                module="opsporing",
                issued_on=today,
                expires_on=today + dt.timedelta(days=730),
                code="DDDD-DDDD-DDDD",
            )
        )
        s.add(
            Certificate(
                person_id=d,
                module="dobbeltdiagnose",
                issued_on=today,
                expires_on=today + dt.timedelta(days=730),
                code="EEEE-EEEE-EEEE",
            )
        )
    out = run_queue(settings)
    assert (out.sent, out.cancelled) == (3, 2)  # Ane's, and Dorte's two in one mail; two renewed ones cancelled
    by_to = {m["To"].addresses[0].addr_spec: m for m in smtp_server.parsed()}
    assert sorted(by_to) == ["ane@eksempel-kommune.example", "dorte@eksempel-kommune.example"]
    ane, dorte = by_to["ane@eksempel-kommune.example"], by_to["dorte@eksempel-kommune.example"]
    assert ane["Subject"] == f"Dit kursusbevis i {module_title('opsporing')} udløber snart"
    assert f"udløber den {dansk_dato(today + dt.timedelta(days=10))}" in body_of(ane)
    assert dorte["Subject"] == "Dine kursusbeviser udløber snart"
    assert (
        f"- {module_title('opsporing')}: udløb den {dansk_dato(today - dt.timedelta(days=20))}\n"
        f"- {module_title('motiverende-samtale')}: udløber den {dansk_dato(today + dt.timedelta(days=30))}\n"
    ) in body_of(dorte)
    assert module_title("dobbeltdiagnose") not in body_of(dorte)
    link_in(body_of(ane))
    assert run_queue(settings, force=True).sent == 0
    with session_scope(settings.db_url) as s:
        assert queue_reminders(s, settings, "cron").queued == []  # still once per expiry date


# --- refusals and a server that is down ------------------------------------------------------------------------


def test_smtp_down_keeps_mail_queued_and_it_goes_out_once_when_back(monkeypatch, tmp_path):
    from rusfokus.mail.queue import queue_links
    from rusfokus.mail.worker import run_queue

    port = free_port()  # nothing listens here yet
    settings = configure(monkeypatch, tmp_path, port)
    people(settings, ("Mette Hansen", "mette@eksempel-kommune.example"), ("Ali Demir", "ali@eksempel-kommune.example"))
    with session_scope(settings.db_url) as s:
        queue_links(s, settings, "cli:t", everyone=True)
    down = run_queue(settings)
    assert down.sent == 0 and down.retry == 2 and "cannot reach the SMTP server 127.0.0.1" in down.error
    state = rows(settings)
    assert {r[1] for r in state.values()} == {"queued"} and {r[3] for r in state.values()} == {1}
    assert all("cannot reach" in r[4] for r in state.values())
    assert run_queue(settings).retry == 0  # back-off: not due yet, no new attempt
    controller, handler = start_smtp(port)
    try:
        assert run_queue(settings).sent == 0  # still backing off (the server's worker waits)
        back = run_queue(settings, now_fn=lambda: dt.datetime.now() + dt.timedelta(minutes=2))
        assert (back.sent, back.error) == (2, "")
        assert run_queue(settings, force=True).sent == 0
        assert sorted(r[1][0] for r in handler.messages) == [
            "ali@eksempel-kommune.example",
            "mette@eksempel-kommune.example",
        ]
    finally:
        controller.stop()


def test_temporary_refusal_retries_with_backoff_and_permanent_refusal_fails(monkeypatch, tmp_path, smtp_server):
    from rusfokus.mail.queue import queue_links, retry
    from rusfokus.mail.worker import run_queue

    settings = configure(monkeypatch, tmp_path, smtp_server.port, RUSFOKUS_MAIL_MAX_ATTEMPTS="2")
    smtp_server.rcpt_replies = {
        "fuld@eksempel-kommune.example": "452 Mailbox full, try later",
        "findesikke@eksempel-kommune.example": "550 No such user",
    }
    people(
        settings,
        ("Fie Fuld", "fuld@eksempel-kommune.example"),
        ("Ib Ukendt", "findesikke@eksempel-kommune.example"),
        ("Ok Person", "ok@eksempel-kommune.example"),
    )
    with session_scope(settings.db_url) as s:
        queue_links(s, settings, "cli:t", everyone=True)
    first = run_queue(settings)
    assert (first.sent, first.retry, first.failed) == (1, 1, 1)
    state = sorted((r[1], r[4][:22]) for r in rows(settings).values())
    assert state == [("failed", "RCPT TO refused: 550 N"), ("queued", "RCPT TO refused: 452 M"), ("sent", "")]
    second = run_queue(settings, now_fn=lambda: dt.datetime.now() + dt.timedelta(hours=1))
    assert (second.sent, second.failed) == (0, 1)  # the 2nd temporary refusal reaches the maximum
    assert sorted(r[1] for r in rows(settings).values()) == ["failed", "failed", "sent"]
    assert len([a for a in audit(settings) if a[0] == "mail.failed"]) == 2
    smtp_server.rcpt_replies = {}
    with session_scope(settings.db_url) as s:
        assert len(retry(s, [], failed=True, uncertain=False, actor="cli:t")) == 2
    assert run_queue(settings).sent == 2
    assert len(smtp_server.messages) == 3


def test_one_connection_carries_at_most_20_mails_and_a_421_gets_a_fresh_connection(setup, smtp_server):
    from rusfokus.mail.queue import queue_links
    from rusfokus.mail.worker import PER_CONNECTION, run_queue

    settings = setup
    with session_scope(settings.db_url) as s:
        for i in range(45):
            add_person(s, f"Ansat {i:02d}", f"ansat{i:02d}@eksempel-kommune.example")
        queue_links(s, settings, "cli:t", everyone=True)
    smtp_server.rcpt_replies = {"ansat05@eksempel-kommune.example": "421 Too many connections, closing"}
    result = run_queue(settings)
    assert (result.sent, result.retry, result.failed) == (44, 1, 0)
    peers = smtp_server.peers
    assert len(peers) == 44 and len(set(peers)) == 3  # 5, then 421: 20, then 19; never more than 20
    assert max(peers.count(p) for p in set(peers)) == PER_CONNECTION
    smtp_server.rcpt_replies = {}
    assert run_queue(settings, force=True).sent == 1
    recipients = [r for _f, rcpts, _raw in smtp_server.messages for r in rcpts]
    assert len(recipients) == 45 == len(set(recipients))


# --- schema, settings, CLI -------------------------------------------------------------------------------------


def test_model_matches_migration(setup):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from rusfokus.db import Base, make_engine
    from rusfokus.mail import models  # noqa: F401

    with make_engine(setup.db_url).connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    mine = [d for d in diff if "mail_message" in repr(d)]
    assert mine == []
    from alembic import command
    from sqlalchemy import inspect

    from rusfokus.migrations import alembic_config

    command.downgrade(alembic_config(setup.db_url), "0007_journey")
    assert "mail_message" not in inspect(make_engine(setup.db_url)).get_table_names()
    command.upgrade(alembic_config(setup.db_url), "head")
    assert "mail_message" in inspect(make_engine(setup.db_url)).get_table_names()


def test_settings_list_the_mail_settings_and_hide_the_password(monkeypatch, tmp_path):
    configure(monkeypatch, tmp_path, 2525, RUSFOKUS_SMTP_PASSWORD="hemmeligt-kodeord")
    out = cli(None, "settings").stdout
    for env in (
        "RUSFOKUS_SMTP_HOST=127.0.0.1",
        "RUSFOKUS_SMTP_PORT=2525",
        "RUSFOKUS_SMTP_TLS=none",
        "RUSFOKUS_SMTP_USER=",
        "RUSFOKUS_SMTP_PASSWORD=********",
        "RUSFOKUS_SMTP_PASSWORD_FILE",
        "RUSFOKUS_SMTP_CA_FILE",
        "RUSFOKUS_MAIL_FROM=rusfokus@eksempel-kommune.example",
        "RUSFOKUS_MAIL_FROM_NAME",
        "RUSFOKUS_MAIL_POLL_SECONDS",
        "RUSFOKUS_MAIL_RETRY_SECONDS",
        "RUSFOKUS_MAIL_MAX_ATTEMPTS",
    ):
        assert env in out
    assert "hemmeligt" not in out
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    from rusfokus.settings import Settings

    for env, _help in Settings.describe():
        if "SMTP" in env or "MAIL" in env:
            assert f"`{env}`" in readme, env
    monkeypatch.setenv("RUSFOKUS_SMTP_TLS", "tls")
    bad = cli(None, "settings", check=False)
    assert bad.returncode != 0 and "RUSFOKUS_SMTP_TLS='tls'" in bad.stderr


@pytest.mark.slow  # the rusfokus CLI three times as subprocesses
def test_cli_links_run_status_against_the_smtp_server(setup, smtp_server):
    settings = setup
    people(
        settings,
        ("Mette Hansen", "mette@eksempel-kommune.example"),
        ("Jens Berg", "jens@eksempel-kommune.example", "Jobcentret"),
    )
    out = cli(settings, "mail", "links", "--institution", "Jobcentret")
    assert "1 queued, 0 already queued or sent" in out.stdout
    status = cli(settings, "mail", "status").stdout
    assert "e-mail: SMTP 127.0.0.1" in status and re.search(r"link\s+1\s+0", status)
    run = cli(settings, "mail", "run")
    assert run.returncode == 0 and "1 sent" in run.stdout
    assert [r for _f, r, _raw in smtp_server.messages] == [["jens@eksempel-kommune.example"]]
    again = cli(settings, "mail", "links", "--institution", "Jobcentret")
    assert "0 queued, 1 already queued or sent" in again.stdout
    assert cli(settings, "mail", "run").stdout.startswith("0 sent")
    none = cli(settings, "mail", "links", "--institution", "Findes Ikke", check=False)
    assert none.returncode == 2 and "no institution named 'Findes Ikke'" in none.stderr
    assert cli(settings, "mail", "links", check=False).returncode == 2  # one of --institution/--email/--all
    missing = cli(settings, "mail", "invite", "999", check=False)
    assert missing.returncode == 2 and "no temadag with id 999" in missing.stderr
    assert "mail.sent" in cli(settings, "audit").stdout


# --- the dashboard's person page -------------------------------------------------------------------------------


def test_person_page_button_mails_the_personal_link_once(setup, smtp_server):
    from rusfokus.apps.dashboard import Dashboard
    from rusfokus.mail.worker import run_queue

    (pid,) = people(setup, ("Dagny Dam", "dagny.dam@eksempel-kommune.example"))
    dash = Dashboard(
        admin="konsulent", db_url=setup.db_url, base_url="https://rusfokus.eksempel-kommune.example", settings=setup
    )
    (button,) = [b for b in dash.person.actions.children if getattr(b, "description", "") == "Send link på mail"]
    dash.person.person_id = pid
    button.click()
    assert "kø" in dash.person.link_output.value
    button.click()  # a double click queues nothing more
    assert run_queue(setup, force=True).sent == 1
    smtp_server.wait_for(1)
    (msg,) = smtp_server.parsed()
    assert msg["To"].addresses[0].addr_spec == "dagny.dam@eksempel-kommune.example"
    assert link_in(body_of(msg))
    assert [a for a in audit(setup) if a[0].startswith("mail.")]


def test_person_page_has_no_mail_button_when_mail_is_off(monkeypatch, tmp_path):
    from rusfokus.apps.dashboard import Dashboard

    settings = configure(monkeypatch, tmp_path, 25, RUSFOKUS_SMTP_HOST="")
    dash = Dashboard(admin="konsulent", db_url=settings.db_url, base_url="http://x", settings=settings)
    assert not [b for b in dash.person.actions.children if getattr(b, "description", "") == "Send link på mail"]
