"""A temadag in Chromium: facilitator on the projector, colleagues on their phones.

Real `rusfokus serve`, real Chromium: the QR code on the projector is read
from a screenshot (zxing-cpp) and opened on the phones; an expired code is
refused with a Danish message; live answers show up on the projector; the
attendance is in the rusmiddelcenter's progress report; axe-core finds no
serious or critical problems on the participant and projector pages.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import time
import urllib.request

import pytest
from playwright.sync_api import expect

from rusfokus.db import session_scope
from rusfokus.progress.models import STATUS_ACTIVE, Person
from rusfokus.progress.staff import OrgCache
from rusfokus.temadag import codes

from helpers.browser import run_axe

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
    "locale": "da-DK",
}
PEOPLE = [
    ("Mette Hansen", "mette.hansen@eksempel.dk"),
    ("Ole Lund", "ole.lund@eksempel.dk"),
    ("Sara Nielsen", "sara.nielsen@eksempel.dk"),
]


@pytest.fixture(scope="module")
def temadag(server):
    url = f"sqlite:///{server.home / 'rusfokus.db'}"
    out = server.rusfokus(
        "temadag",
        "create",
        "--title",
        "Børn og alkohol",
        "--date",
        dt.date.today().isoformat(),
        "--place",
        "Rådhuset, mødesal 2",
        "--modules",
        "opsporing",
        "--facilitator",
        "Pia Holm",
        "--institutions",
        "Børnehuset Mælkebøtten",
        "--counts-toward-module",
    ).stdout
    temadag_id = int(out.split("#")[1].split(":")[0])
    with session_scope(url) as s:
        inst = OrgCache(s).institution("Børn og Unge", "Dagtilbud", "Børnehuset Mælkebøtten")
        now = dt.datetime.now()
        for name, email in PEOPLE:
            if s.query(Person).filter_by(email=email).first() is None:
                s.add(
                    Person(
                        email=email,
                        name=name,
                        faggruppe="Pædagog",
                        institution_id=inst.id,
                        noegleperson=False,
                        status=STATUS_ACTIVE,
                        created_at=now,
                        updated_at=now,
                    )
                )
    return temadag_id


def qr_url(projector) -> str:
    import zxingcpp
    from PIL import Image

    # (the pages' CSP forbids eval, so waits use locators, never wait_for_function)
    expect(projector.locator("#qr")).to_have_attribute("src", re.compile(r"^data:image/svg"))
    png = projector.locator("#qr").screenshot()
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert found, "no QR code could be read from the projector"
    return found[0].text


def test_temadag_checkin_live_and_report(browser, server, temadag):
    admin = browser.new_context(locale="da-DK", viewport={"width": 1280, "height": 900})
    admin.add_cookies([server.cookie("rf_admin", server.admin_token("pia"))])
    projector = admin.new_page()
    projector.goto(f"{server.url}/temadag/admin/{temadag}/skaerm")
    url = qr_url(projector)
    shown_code = projector.locator("#kode").inner_text().strip()
    assert url.endswith(f"/temadag/ind?kode={shown_code}") and url.startswith(server.url)
    assert run_axe(projector) == []

    phones = []
    # two colleagues scan the QR code and type their work e-mail
    for _name, email in PEOPLE[:2]:
        ctx = browser.new_context(**PHONE)
        page = ctx.new_page()
        page.goto(url)
        assert page.get_by_label("Koden fra skærmen (6 tegn)").input_value() == shown_code
        if not phones:
            assert run_axe(page) == []
        page.get_by_label("Din arbejdsmail").fill(email)
        page.get_by_role("button", name="Tjek ind", exact=True).click()
        page.wait_for_selector("text=Du er tjekket ind")
        phones.append((ctx, page))
    # the third opened the course from her personal link on the phone earlier: one tap
    ctx = browser.new_context(**PHONE)
    ctx.add_cookies([server.cookie("rf_learner", server.learner_token(PEOPLE[2][1]))])
    page = ctx.new_page()
    page.goto(url)
    page.get_by_role("button", name=f"Tjek ind som {PEOPLE[2][1]}").click()
    page.wait_for_selector("text=Du er tjekket ind")
    phones.append((ctx, page))
    assert run_axe(phones[0][1]) == []

    # a photo of an old code, sent to someone at home
    home = browser.new_context(**PHONE)
    at_home = home.new_page()
    old = codes.short_code(server.secret(), temadag, codes.window_of(time.time()) - 2)
    at_home.goto(f"{server.url}/temadag/ind?kode={old}")
    at_home.get_by_label("Din arbejdsmail").fill("hjemme@eksempel.dk")
    at_home.get_by_role("button", name="Tjek ind", exact=True).click()
    assert "Koden er udløbet" in at_home.get_by_role("alert").inner_text()
    assert "/deltag" not in at_home.url
    home.close()

    expect(projector.locator("#tjekket")).to_have_text("3", timeout=20_000)

    # live: the facilitator starts, the phones answer, the projector shows the room
    projector.get_by_role("button", name="Start spørgsmål").click()
    projector.wait_for_selector("#live:not([hidden])")
    question = projector.locator("#spoergsmaal").inner_text()
    for _, page in phones:
        expect(page.locator("#spoergsmaal")).to_have_text(question)
        assert page.locator(".forklaring:not([hidden])").count() == 0
    answers = [0, 1, 1]
    for (_, page), option in zip(phones, answers, strict=True):
        page.locator("#svar button").nth(option).click()
        page.wait_for_selector("text=Dit svar er sendt")
    expect(projector.locator("#antal")).to_have_text("3 har svaret.", timeout=10_000)
    counted = projector.locator("#soejler .optalt").all_inner_texts()
    assert counted[:2] == ["1 svar", "2 svar"]
    assert run_axe(projector) == []

    projector.get_by_role("button", name="Vis svar").click()
    projector.wait_for_selector("#forklaring:not([hidden])")
    for _, page in phones:
        page.wait_for_selector("#forklaring:not([hidden])")
        assert page.locator("#forklaring").inner_text() == projector.locator("#forklaring").inner_text()
    assert run_axe(phones[1][1]) == []

    # code check-ins count once the facilitator has seen the two in the room and confirms them
    confirm = admin.new_page()
    confirm.goto(f"{server.url}/temadag/admin/{temadag}")
    assert confirm.get_by_role("heading", name="Venter på bekræftelse (2)").count() == 1
    assert confirm.get_by_role("heading", name="Tjekket ind (1)").count() == 1
    assert confirm.get_by_role("button", name="Aflys og slet temadagen").count() == 0
    assert run_axe(confirm) == []
    confirm.get_by_role("button", name="Bekræft alle, der står på medarbejderlisten").click()
    confirm.wait_for_selector("text=Venter på bekræftelse (0)")
    confirm.close()

    # attendance is in the rusmiddelcenter's progress report
    req = urllib.request.Request(
        f"{server.url}/admin/rapport/temadag.csv", headers={"Cookie": f"rf_admin={server.admin_token('pia')}"}
    )
    with urllib.request.urlopen(req, timeout=30) as r:
        text = r.read().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";" if ";" in text.splitlines()[0] else ","))
    header, body = rows[0], rows[1:]
    assert "Deltaget i temadag" in header
    col = header.index("Deltaget i temadag")
    assert sum(int(r[col]) for r in body if "opsporing" in ";".join(r).lower()) == 3

    # after the last question the phones get the anonymous evaluation
    for _ in range(5):
        projector.get_by_role("button", name="Næste").click()
    expect(projector.locator("#slut")).to_be_visible()
    phone = phones[0][1]
    phone.get_by_role("link", name="Evaluer temadagen").click()
    from rusfokus.temadag.evaluation import QUESTIONS

    for _, statement in QUESTIONS:
        phone.get_by_role("group", name=statement).get_by_label("4 · Enig").check()
    phone.get_by_label("Hvad tager du med dig", exact=False).fill("Gode cases om afhentning")
    assert run_axe(phone) == []
    phone.get_by_role("button", name="Send evaluering").click()
    expect(phone.get_by_role("status")).to_contain_text("Din evaluering er sendt")

    detail = admin.new_page()
    detail.goto(f"{server.url}/temadag/admin/{temadag}")
    assert detail.get_by_role("heading", name="Tjekket ind (3)").count() == 1
    assert detail.get_by_role("heading", name="Evaluering (1 svar)").count() == 1
    assert "Gode cases om afhentning" in detail.inner_text("body")
    assert run_axe(detail) == []
    detail.goto(f"{server.url}/temadag/admin")
    assert run_axe(detail) == []
    for ctx, _ in phones:
        ctx.close()
    admin.close()


def test_case_cards_print_cleanly(browser, built_book):
    """The facilitator kit prints as cut-out case cards: no navigation, cards never split across pages."""
    ctx = browser.new_context(locale="da-DK", viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    page.goto((built_book / "book" / "noeglepersoner" / "opsporing.html").as_uri())
    cards = page.locator(".casekort")
    assert cards.count() == 4
    assert run_axe(page) == []
    page.emulate_media(media="print")
    assert not page.locator(".bd-sidebar-primary").is_visible()
    for i in range(cards.count()):
        style = cards.nth(i).evaluate("e => [getComputedStyle(e).breakInside, getComputedStyle(e).borderTopStyle]")
        assert style == ["avoid", "dashed"]
        box = cards.nth(i).bounding_box()
        assert 470 < box["height"] < 500  # 128 mm at 96 dpi: two cards per A4 page
    pdf = page.pdf(format="A4")
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert pages >= 3  # the kit, then the cards on their own pages
    ctx.close()
