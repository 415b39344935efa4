"""The general book pages in Chromium, as a learner meets them: axe-core, Danish
labels after the theme's JavaScript has run, and the keyboard use that
"Sådan bruger du kurset" promises."""

import re

from helpers.browser import axe_problems_on_pages, run_axe

PAGES = (
    "index",
    "saadan-bruger-du-kurset",
    "laeringsstier",
    "ordliste",
    "om-kurset",
    "tilgaengelighed",
    "min-side",
)
ENGLISH = re.compile(
    r"skip to main content|back to top|search this book|on this page|link to this|search\.\.\.|"
    r"color mode|toggle (?:primary |secondary )?(?:navigation|sidebar)|print to pdf|fullscreen mode|"
    r"previous page|next page|^(?:light|dark|contents|previous|next|search)$",
    re.I,
)

# Every visible text and every label a screen reader announces, after JS has run.
VISIBLE_STRINGS = """() => {
  const out = [];
  const shown = el => { const s = getComputedStyle(el); return s.display !== 'none' && s.visibility !== 'hidden'; };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, el = node.parentElement, t = node.textContent.trim();
    if (t && el && !['SCRIPT', 'STYLE', 'TEMPLATE', 'NOSCRIPT'].includes(el.tagName) &&
        el.offsetParent !== null && shown(el)) out.push(t);
  }
  for (const el of document.body.querySelectorAll('[aria-label],[title],[placeholder],[alt]')) {
    if (el.closest('[hidden],.d-none,.onlyprint')) continue;
    for (const a of ['aria-label', 'title', 'placeholder', 'alt']) {
      const v = el.getAttribute(a); if (v && v.trim()) out.push(v.trim());
    }
  }
  return out;
}"""


def _open(page, built_book, name):
    page.goto((built_book / "book" / f"{name}.html").as_uri())
    page.wait_for_load_state("load")


def test_general_pages_have_no_serious_axe_violations(browser_page, built_book):
    files = {name: built_book / "book" / f"{name}.html" for name in PAGES}
    assert axe_problems_on_pages(browser_page, files) == {}


def test_no_english_label_after_the_theme_javascript_ran(browser_page, built_book):
    offenders = {}
    for name in PAGES:
        _open(browser_page, built_book, name)
        strings = browser_page.evaluate(VISIBLE_STRINGS)
        assert len(strings) > 50, f"{name}: the page shows almost nothing"
        bad = sorted({s for s in strings if ENGLISH.search(" ".join(s.split()))})
        if bad:
            offenders[name] = bad
    assert offenders == {}


def test_keyboard_use_works_as_the_course_says(browser_page, built_book):
    page = browser_page
    _open(page, built_book, "index")
    # First Tab: "Gå til hovedindhold"; Enter skips the menu.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Gå til hovedindhold"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main-content"
    # Ctrl+K opens the search; Esc closes it.
    page.keyboard.press("Control+k")
    page.wait_for_function(
        "document.activeElement && document.activeElement.matches('input[type=search], input[name=q]')"
    )
    page.keyboard.press("Escape")
    page.wait_for_function(
        "!document.activeElement || !document.activeElement.matches('input[type=search], input[name=q]')"
    )


def test_forside_module_links_open_the_modules(browser_page, built_book):
    page = browser_page
    for n in (1, 2, 3, 4):
        _open(page, built_book, "index")
        page.locator("article").get_by_role("link", name=re.compile(rf"^Modul {n}:")).first.click()
        page.wait_for_load_state("load")
        assert page.locator("h1").first.inner_text().startswith(f"Modul {n}")


def test_min_side_in_the_served_book_shows_only_the_learners_own_page(browser_page, server):
    from rusfokus.identity import LEARNER_COOKIE

    from helpers.browser import wait_for_widgets

    page = browser_page
    # Without the personal link: a Danish message from the server, no data and no kernel (issue 16).
    page.goto(f"{server.url}/book/min-side.html")
    frame = page.wait_for_selector("iframe.rf-app-frame", timeout=30_000).content_frame()
    frame.wait_for_selector("text=Du er ikke logget ind med dit personlige link", timeout=60_000)
    assert frame.locator(".lm-Widget").count() == 0
    # With the signed cookie the personal link sets: the learner's own Min side.
    email = "sofie.eksempel@eksempel-kommune.example"
    page.context.add_cookies([server.cookie(LEARNER_COOKIE, server.learner_token(email))])
    page.reload()
    frame = page.wait_for_selector("iframe.rf-app-frame", timeout=30_000).content_frame()
    wait_for_widgets(frame)
    frame.wait_for_selector("h1:has-text('Min side')", timeout=60_000)
    assert frame.locator("[role=alert]").count() == 0
    assert not page.locator(".rf-app-offline").first.is_visible()
    assert run_axe(page) == []
