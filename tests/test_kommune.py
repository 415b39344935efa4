"""kommune.yml: the demo file is valid; mistakes are named by file, line and field."""

from pathlib import Path

import pytest

from rusfokus.kommune import KommuneError, load_kommune

ROOT = Path(__file__).resolve().parents[1]


def test_demo_file_is_valid_and_fictional():
    k = load_kommune(ROOT / "kommune.yml")
    assert k.navn == "Eksempel Kommune"
    assert {t.type for t in k.tilbud} >= {
        "alkoholbehandling",
        "stofbehandling",
        "anonym_raadgivning",
        "paaroerende",
        "boern_unge",
    }
    assert k.rusmiddelcenter.email.endswith(".example")


def _write(tmp_path, text):
    p = tmp_path / "kommune.yml"
    p.write_text(text, encoding="utf-8")
    return p


def _broken(tmp_path, old, new):
    text = (ROOT / "kommune.yml").read_text(encoding="utf-8").replace(old, new, 1)
    assert text != (ROOT / "kommune.yml").read_text(encoding="utf-8")
    return _write(tmp_path, text)


def test_bad_phone_names_line_and_field(tmp_path):
    p = _broken(tmp_path, 'telefon: "99 99 99 99"', 'telefon: "ring til os"')
    with pytest.raises(KommuneError) as exc:
        load_kommune(p)
    msg = str(exc.value)
    line = next(i for i, t in enumerate(p.read_text().splitlines(), 1) if "ring til os" in t)
    assert f"kommune.yml:{line}: rusmiddelcenter.telefon: " in msg  # the loader's one style: file:line: field: message


def test_unknown_offer_type(tmp_path):
    p = _broken(tmp_path, "type: paaroerende", "type: familie")
    with pytest.raises(KommuneError, match=r"kommune\.yml:\d+: tilbud\[4\]\.type: 'familie' is not one of"):
        load_kommune(p)


def test_missing_required_field(tmp_path):
    p = _broken(tmp_path, "  adresse: Eksempelvej 12, 9999 Eksempelby\n", "")
    with pytest.raises(KommuneError, match=r"rusmiddelcenter\.adresse: is required"):
        load_kommune(p)


def test_invalid_yaml_names_the_line(tmp_path):
    p = _write(tmp_path, "kommune: Eksempel\nrusmiddelcenter: [\n")
    with pytest.raises(KommuneError, match=r"kommune\.yml:\d+: invalid YAML"):
        load_kommune(p)


def test_missing_file_and_unknown_top_level_field(tmp_path):
    with pytest.raises(KommuneError, match="file not found"):
        load_kommune(tmp_path / "nope.yml")
    p = _broken(tmp_path, "kommune: Eksempel Kommune", "kommune: Eksempel Kommune\nborgmester: X")
    with pytest.raises(KommuneError, match="borgmester: unknown field"):
        load_kommune(p)


def test_must_offer_alcohol_and_drug_treatment(tmp_path):
    p = _broken(tmp_path, "type: stofbehandling", "type: paaroerende")
    with pytest.raises(KommuneError, match="must include an offer of type stofbehandling"):
        load_kommune(p)


def test_fagpersoner_section_is_required_and_checked(tmp_path):
    text = (ROOT / "kommune.yml").read_text(encoding="utf-8")
    cut = text.split("\n# Til nøglepersonernes lokale materiale", 1)[0] + "\n"
    with pytest.raises(KommuneError, match=r"kommune\.yml:\d+: fagpersoner: is required"):
        load_kommune(_write(tmp_path, cut))
    p = _broken(tmp_path, 'raadgivning_telefon: "99 99 99 95"', 'raadgivning_telefon: "ring til os"')
    with pytest.raises(KommuneError) as exc:
        load_kommune(p)
    line = next(i for i, t in enumerate(p.read_text().splitlines(), 1) if "ring til os" in t)
    assert f"kommune.yml:{line}: fagpersoner.raadgivning_telefon" in str(exc.value)
    p = _broken(tmp_path, "  underretning_web: https://", "  underretning_web: www.")
    with pytest.raises(KommuneError, match=r"fagpersoner\.underretning_web: .* is not a web address"):
        load_kommune(p)
    p = _broken(tmp_path, "  raadgivning_tider:", "  leder: Hanne\n  raadgivning_tider:")
    with pytest.raises(KommuneError, match=r"fagpersoner\.leder: unknown field"):
        load_kommune(p)


def test_demo_fagpersoner_is_fictional():
    k = load_kommune(ROOT / "kommune.yml")
    assert k.fagpersoner.underretning_web.startswith("https://www.eksempel-kommune.example/")
    assert k.fagpersoner.raadgivning_telefon.startswith("99 ")
