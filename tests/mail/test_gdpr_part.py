"""Mail's part of a GDPR export and erasure (rusfokus.mail.gdpr_part through rusfokus.gdpr)."""

from __future__ import annotations

from rusfokus.db import session_scope
from rusfokus.gdpr import delete_person, export_person
from rusfokus.mail import queue_personal_link
from rusfokus.mail.models import FAILED, MailMessage
from rusfokus.progress.models import Person

from helpers.mail import people, rows

TEST_SECRET = b"test-secret-k1-" * 4  # the server key these tests sign and revoke with

ANNA = "anna@eksempel-kommune.example"
REFUSED = f"550 5.1.1 <{ANNA}>: Recipient address rejected: User unknown"


def test_export_lists_her_mails_and_erasure_removes_error_texts_that_quote_her_address(setup):
    settings = setup
    anna, bo = people(settings, ("Anna Aktiv", ANNA), ("Bo Berg", "bo@eksempel-kommune.example"))
    with session_scope(settings.db_url) as s:
        queue_personal_link(s, s.get(Person, anna), "admin:konsulent", settings=settings)
        queue_personal_link(s, s.get(Person, bo), "admin:konsulent", settings=settings)
        for m in s.query(MailMessage):  # as the worker records a refusal by the SMTP server
            m.status, m.last_error = FAILED, REFUSED.replace(ANNA, s.get(Person, m.person_id).email)
    with session_scope(settings.db_url) as s:
        mails = export_person(s, ANNA)["mails"]
    assert [(m["kind"], m["status"], m["last_error"]) for m in mails] == [("link", FAILED, REFUSED)]
    with session_scope(settings.db_url) as s:
        delete_person(s, ANNA, "cli:test", secret=TEST_SECRET)
    left = {pid: (status, error) for _kind, status, pid, _attempts, error in rows(settings).values()}
    assert left[anna] == (FAILED, "")  # the row stays for the counts, without her address
    assert left[bo][1].startswith("550") and "bo@" in left[bo][1]  # nobody else's data is touched
