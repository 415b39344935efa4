"""The municipality's look from kommune.yml: colours and logo in the one stylesheet, named by
content hash; a re-brand is one edit of kommune.yml. Real routes in a real tornado server."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

import tornado.web
from tornado.testing import AsyncHTTPTestCase

from rusfokus.identity import web as identity_web
from rusfokus.settings import Settings
from rusfokus.web import routes as web_routes

from helpers.paths import ROOT

DEMO_PRIMARY = "#0b4f6c"
NEW_PRIMARY = "#7a1f5c"


class Rebrand(AsyncHTTPTestCase):
    def setUp(self):
        self.tmp = Path(tempfile.mkdtemp())
        for name in ("kommune.yml", "kommune-logo.svg"):
            shutil.copy(ROOT / name, self.tmp / name)
        self.kommune = self.tmp / "kommune.yml"
        self.settings = Settings.from_env(
            home=self.tmp / "var", db_url=f"sqlite:///{self.tmp}/rf.db", kommune_file=self.kommune
        )
        super().setUp()

    def tearDown(self):
        super().tearDown()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def get_app(self):
        return tornado.web.Application(web_routes.routes(self.settings) + identity_web.routes(self.settings))

    def edit(self, old: str, new: str) -> None:
        text = self.kommune.read_text(encoding="utf-8")
        assert old in text
        self.kommune.write_text(text.replace(old, new, 1), encoding="utf-8")
        stamp = self.kommune.stat().st_mtime_ns + 2_000_000_000  # a clearly newer file, whatever the clock
        os.utime(self.kommune, ns=(stamp, stamp))

    def page_assets(self) -> tuple[str, str]:
        body = self.fetch("/login").body.decode()
        css = re.search(r'<link rel="stylesheet" href="(/rusfokus/stil/sider\.[0-9a-f]{12}\.css)">', body).group(1)
        logo = re.search(r'<img src="(/rusfokus/stil/logo\.[0-9a-f]{12}\.(?:svg|png))" alt="([^"]*)">', body)
        return css, (logo.group(1), logo.group(2)) if logo else None

    def test_colours_of_kommune_yml_are_in_the_served_css_and_a_change_changes_its_hash(self):
        css_url, (logo_url, alt) = self.page_assets()
        assert alt == "Eksempel Kommune"
        r = self.fetch(css_url)
        css = r.body.decode()
        assert r.headers["Content-Type"].startswith("text/css")
        assert r.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert f"--rf-primaer: {DEMO_PRIMARY};" in css and "--rf-tekst-paa-primaer: #ffffff;" in css
        assert ".top { background: var(--rf-primaer);" in css  # the page rules read the variables
        logo = self.fetch(logo_url)
        assert logo.headers["Content-Type"] == "image/svg+xml" and logo.body == (ROOT / "kommune-logo.svg").read_bytes()
        assert "sandbox" in logo.headers["Content-Security-Policy"]

        self.edit(f'primaer: "{DEMO_PRIMARY}"', f'primaer: "{NEW_PRIMARY}"')
        new_url, _ = self.page_assets()
        assert new_url != css_url
        new_css = self.fetch(new_url).body.decode()
        assert f"--rf-primaer: {NEW_PRIMARY};" in new_css and DEMO_PRIMARY not in new_css
        # a page rendered before the edit asks for the old name: today's file, not kept
        stale = self.fetch(css_url)
        assert stale.code == 200 and stale.headers["Cache-Control"] == "no-cache" and NEW_PRIMARY in stale.body.decode()

    def test_a_new_logo_file_gets_a_new_address(self):
        _, (logo_url, _) = self.page_assets()
        (self.tmp / "nyt-logo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
        self.edit("logo: kommune-logo.svg", "logo: nyt-logo.png")
        self.edit("logo_tekst: Eksempel Kommune", "logo_tekst: Nyby Kommune")
        _, (new_url, alt) = self.page_assets()
        assert new_url.endswith(".png") and new_url != logo_url and alt == "Nyby Kommune"
        assert self.fetch(new_url).headers["Content-Type"] == "image/png"
        assert self.fetch(logo_url, raise_error=False).code == 404  # no .svg logo any more

    def test_an_invalid_edit_keeps_the_last_good_look(self):
        css_url, _ = self.page_assets()
        self.edit(f'primaer: "{DEMO_PRIMARY}"', 'primaer: "#9fc5e8"')  # too light for white text and links
        same, _ = self.page_assets()
        assert same == css_url and DEMO_PRIMARY in self.fetch(same).body.decode()

    def test_no_profil_section_gives_the_default_look_without_a_logo(self):
        text = self.kommune.read_text(encoding="utf-8")
        self.kommune.write_text(text.split("\n# Kommunens udseende", 1)[0] + "\n", encoding="utf-8")
        css_url, logo = self.page_assets()
        assert logo is None and DEMO_PRIMARY in self.fetch(css_url).body.decode()


# The book gets the same colours, and a rebuild follows kommune.yml: asserted in
# tests/test_book.py::test_rebuild_after_a_kommune_yml_edit_shows_the_new_values
# (one pair of mini-book builds for both).
