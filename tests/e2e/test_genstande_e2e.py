"""A person's view: the served book page with the live genstandsberegner."""

from helpers.browser import run_axe, wait_for_widgets


def _calculator_frame(page, server):
    page.goto(server.url + "/modules/01-opsporing/genstande.html")
    iframe = page.wait_for_selector("iframe.rf-app-frame", timeout=30_000)
    assert iframe.get_attribute("title") == "Genstandsberegner"
    frame = iframe.content_frame()
    wait_for_widgets(frame)
    frame.wait_for_selector("text=I alt", timeout=60_000)
    return frame


def test_live_calculator_in_book_page_recomputes(browser_page, server):
    frame = _calculator_frame(browser_page, server)
    friday = frame.get_by_label("Fre").first
    friday.fill("4")
    friday.press("Tab")
    # Four ordinary beers: 4 x 1,0 = 4,0 genstande, within "højst 4 på samme dag".
    frame.wait_for_selector("text=4,0 genstande på en uge", timeout=20_000)
    assert frame.locator("text=Ingen dag har mere end 4 genstande.").count() == 1
    assert frame.locator("text=Mere end 4 genstande på samme dag").count() == 0
    friday.fill("6")
    friday.press("Tab")
    frame.wait_for_selector("text=6,0 genstande på en uge", timeout=20_000)
    assert frame.locator("text=Mere end 4 genstande på samme dag: fredag").count() == 1
    cl = frame.get_by_label("Centiliter").first
    cl.fill("50")
    cl.press("Tab")
    frame.wait_for_selector("text=9,0 genstande på en uge", timeout=20_000)  # 6 x 1,5
    # A Danish decimal comma typed in the browser is 5,5 %, never 55 %.
    vol = frame.get_by_label("Alkohol %").first
    vol.fill("5,5")
    vol.press("Tab")
    frame.wait_for_selector("text=10,8 genstande på en uge", timeout=20_000)  # 6 x 1,8
    vol.fill("120")
    vol.press("Tab")
    frame.wait_for_selector("text=Alkoholprocenten skal være mellem 0,5 og 80 %", timeout=20_000)
    assert "1 genstand = 12 gram ren alkohol" in frame.locator("[data-rf=rule]").inner_text()


def test_offline_notice_without_server(browser_page, built_book):
    browser_page.goto((built_book / "modules" / "01-opsporing" / "genstande.html").as_uri())
    notice = browser_page.locator(".rf-app-offline")
    assert notice.is_visible()
    assert "kursusserveren" in notice.inner_text()
    assert browser_page.locator("iframe").count() == 0


def test_accessibility_forside_calculator_page_and_app(browser_page, server):
    page = browser_page
    page.goto(server.url + "/book/index.html")
    assert run_axe(page) == []
    _calculator_frame(page, server)
    assert run_axe(page) == []
    page.goto(server.url + "/voila/render/genstande/index.ipynb")
    wait_for_widgets(page)
    page.wait_for_selector("text=I alt", timeout=60_000)
    assert run_axe(page) == []
