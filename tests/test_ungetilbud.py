"""kommune.yml's youth offers (``ungetilbud:``): the demo values are valid and fictional, the section is
optional (an older kommune.yml keeps working), and mistakes are named by file, line and field."""

from __future__ import annotations

import re

import pytest

from rusfokus.kommune import KommuneError, load_kommune
from rusfokus.ungetilbud import TYPES, tilbud_til

from helpers.paths import ROOT

DEMO = (ROOT / "kommune.yml").read_text(encoding="utf-8")


def write(tmp_path, text: str):
    for logo in ROOT.glob("kommune-logo.*"):  # kommune.yml may name a logo file beside it
        (tmp_path / logo.name).write_bytes(logo.read_bytes())
    p = tmp_path / "kommune.yml"
    p.write_text(text, encoding="utf-8")
    return p


def broken(tmp_path, old: str, new: str) -> str:
    assert old in DEMO, old
    with pytest.raises(KommuneError) as exc:
        load_kommune(write(tmp_path, DEMO.replace(old, new, 1)))
    return str(exc.value)


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_demo_offers_are_valid_and_fictional():
    k = load_kommune(ROOT / "kommune.yml")
    assert [o.type for o in k.ungetilbud] == ["behandling", "ssp", "ungeindsats"]
    for o in k.ungetilbud:
        assert o.type in TYPES and o.navn and o.tilbyder
        assert re.fullmatch(r"99 99 99 \d\d", o.telefon)  # demo numbers, like the rest of the file
        assert (o.adresse or o.web) and (not o.web or o.web.startswith("https://www.eksempel-kommune.example/"))
    ung = k.ungetilbud[0]
    assert (ung.navn, ung.alder_fra, ung.alder_til, ung.alder) == ("Ung i Eksempelby", 15, 25, "15-25 år")
    assert [o.navn for o in tilbud_til(k.ungetilbud, 13)] == ["SSP Eksempel Kommune"]
    assert [o.type for o in tilbud_til(k.ungetilbud, 20)] == ["behandling", "ungeindsats"]


def test_the_section_is_optional(tmp_path):
    start = DEMO.index("# Kommunens tilbud til unge")
    end = DEMO.index("\n\n", DEMO.index("ungetilbud:"))
    k = load_kommune(write(tmp_path, DEMO[:start] + DEMO[end + 2 :]))
    assert k.ungetilbud == () and k.rusmiddelcenter.navn == "Rusmiddelcenter Eksempelby"


def test_bad_age_range_names_line_and_field(tmp_path):
    text = DEMO.replace('alder: "12-18"', 'alder: "18-12"', 1)
    msg = broken(tmp_path, 'alder: "12-18"', 'alder: "18-12"')
    line = line_of(text, 'alder: "18-12"')
    assert f"kommune.yml:{line}: ungetilbud[2].alder: '18-12'" in msg
    assert "ungetilbud[1].alder: 'unge' is not an age range like \"15-25\"" in broken(
        tmp_path, 'alder: "15-25"', "alder: unge"
    )


def test_bad_phone_type_web_and_unknown_field(tmp_path):
    assert "ungetilbud[1].telefon: '9999' is not a phone number" in broken(
        tmp_path, 'telefon: "99 99 99 98"', 'telefon: "9999"'
    )
    assert "ungetilbud[2].type: 'politi' is not one of" in broken(tmp_path, "type: ssp", "type: politi")
    assert "ungetilbud[1].web: 'www.ung.example' is not a web address" in broken(
        tmp_path, "web: https://www.eksempel-kommune.example/ung", "web: www.ung.example"
    )
    assert "ungetilbud[1].aabent: unknown field" in broken(
        tmp_path,
        "  - type: behandling\n    navn: Ung i Eksempelby\n",
        "  - type: behandling\n    navn: Ung i Eksempelby\n    aabent: altid\n",
    )


def test_missing_fields_and_no_way_to_find_the_offer(tmp_path):
    assert "ungetilbud[1].tilbyder: is required" in broken(
        tmp_path,
        "    tilbyder: >-\n      Samtaler og behandling for unge, der drikker, ryger hash eller tager andre stoffer.\n"
        "      Den unge kan selv ringe eller skrive. Fagpersoner kan ringe for at få råd.\n",
        "",
    )
    msg = broken(tmp_path, "    web: https://www.eksempel-kommune.example/ssp\n", "")
    assert "ungetilbud[2]: give an adresse or a web address" in msg
    start = DEMO.index("ungetilbud:\n")
    end = DEMO.index("\n\n", start)
    with pytest.raises(KommuneError, match=r"kommune\.yml:\d+: ungetilbud: must be a list of one or more offers"):
        load_kommune(write(tmp_path, DEMO[:start] + "ungetilbud: []" + DEMO[end:]))


def test_the_same_offer_twice_is_refused(tmp_path):
    assert "ungetilbud[3].navn: 'Ung i Eksempelby' is listed twice" in broken(
        tmp_path, "navn: Ungeindsatsen Eksempelby", "navn: Ung i Eksempelby"
    )
