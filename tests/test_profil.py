"""kommune.yml's profil: colours are checked for text contrast (WCAG 1.4.3, at least 4.5:1) and
a file that breaks it is refused with an English message naming file, line and field."""

from __future__ import annotations

import re
import shutil

import pytest

from rusfokus.kommune import KommuneError, load_kommune
from rusfokus.profil import CONTRAST_PAIRS, MIN_CONTRAST, contrast_problems, contrast_ratio
from rusfokus.server.app import ServeError, preflight
from rusfokus.settings import Settings

from helpers.paths import ROOT


def kommune_with(tmp_path, old: str, new: str):
    for name in ("kommune.yml", "kommune-logo.svg"):
        shutil.copy(ROOT / name, tmp_path / name)
    path = tmp_path / "kommune.yml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def line_of(path, needle: str) -> int:
    return next(i for i, t in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in t)


def test_contrast_ratio_is_the_wcag_formula():
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#fff", "#ffffff") == pytest.approx(1.0)
    assert contrast_ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)  # the classic 4.5:1 grey
    assert contrast_ratio("#777777", "#ffffff") < MIN_CONTRAST


def test_the_demo_colours_are_readable_everywhere_they_are_used():
    k = load_kommune(ROOT / "kommune.yml")
    assert contrast_problems(k.profil.farver) == []
    for fg, bg, _ in CONTRAST_PAIRS:
        bg_colour = bg if bg.startswith("#") else getattr(k.profil.farver, bg)
        assert contrast_ratio(getattr(k.profil.farver, fg), bg_colour) >= MIN_CONTRAST
    assert k.profil.logo == (ROOT / "kommune-logo.svg").resolve() and k.profil.logo_tekst == "Eksempel Kommune"


def test_a_light_primary_colour_is_refused_naming_line_field_and_ratio(tmp_path):
    path = kommune_with(tmp_path, 'primaer: "#0b4f6c"', 'primaer: "#88aacc"')
    with pytest.raises(KommuneError) as exc:
        load_kommune(path)
    msg = str(exc.value)
    line = line_of(path, "#88aacc")
    assert re.search(rf"kommune\.yml(, line |:){line}: profil\.farver\.primaer: ", msg), msg
    assert "#88aacc" in msg and "4.5:1" in msg and "WCAG 1.4.3" in msg and re.search(r"contrast of \d\.\d\d:1", msg)


def test_grey_text_on_the_primary_colour_is_refused(tmp_path):
    path = kommune_with(tmp_path, 'tekst_paa_primaer: "#ffffff"', 'tekst_paa_primaer: "#5a7d8c"')
    with pytest.raises(KommuneError, match=r"profil\.farver\.tekst_paa_primaer: #5a7d8c on primaer #0b4f6c"):
        load_kommune(path)


def test_light_body_text_is_refused(tmp_path):
    path = kommune_with(tmp_path, 'tekst: "#1a1a1a"', 'tekst: "#999999"')
    with pytest.raises(KommuneError, match=r"profil\.farver\.tekst: .*body text"):
        load_kommune(path)


@pytest.mark.parametrize("value", ['"blå"', '"#12345"', "123", '"rgb(0,0,0)"'])
def test_a_colour_that_is_not_hex_is_refused(tmp_path, value):
    path = kommune_with(tmp_path, 'primaer: "#0b4f6c"', f"primaer: {value}")
    with pytest.raises(KommuneError, match=r"profil\.farver\.primaer: .* is not a colour; write it as \"#rrggbb\""):
        load_kommune(path)


def test_unknown_colour_name_missing_logo_and_logo_without_text_are_refused(tmp_path):
    path = kommune_with(tmp_path, "    baggrund:", '    accent: "#000000"\n    baggrund:')
    with pytest.raises(KommuneError, match=r"profil\.farver\.accent: unknown colour"):
        load_kommune(path)
    path = kommune_with(tmp_path, "logo: kommune-logo.svg", "logo: findes-ikke.svg")
    with pytest.raises(KommuneError, match=r"profil\.logo: file not found"):
        load_kommune(path)
    path = kommune_with(tmp_path, "logo: kommune-logo.svg", "logo: kommune.yml")
    with pytest.raises(KommuneError, match=r"profil\.logo: 'kommune.yml' must be an \.svg or \.png file"):
        load_kommune(path)
    path = kommune_with(tmp_path, "  logo_tekst: Eksempel Kommune", '  logo_tekst: ""')
    with pytest.raises(KommuneError, match=r"profil\.logo_tekst: is required with a logo"):
        load_kommune(path)


def test_the_server_refuses_to_start_with_a_low_contrast_colour(tmp_path):
    path = kommune_with(tmp_path, 'baggrund: "#fafafa"', 'baggrund: "#333333"')
    settings = Settings.from_env(root=ROOT, home=tmp_path / "var", kommune_file=path)
    with pytest.raises(
        ServeError,
        match=r"(?s)profil\.farver\.tekst: #1a1a1a on baggrund #333333 .*Fix .*kommune\.yml",
    ):
        preflight(settings, require_book=False)
