"""Samtalesimulator: schema check, engine and the shipped cases (no kernel)."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
import yaml

from rusfokus.dialog import (
    DialogFileError,
    Session,
    SessionError,
    all_paths,
    load_case,
    load_cases,
    parse_case,
    validate,
)

ROOT = Path(__file__).resolve().parents[2]
CASES_DIR = ROOT / "modules" / "02-bekymringssamtale" / "data" / "samtaler"


def _choice(target, rating="god", tekst="Et valg", laering="En færdighed"):
    return {"tekst": tekst, "feedback": "Derfor.", "vurdering": rating, "laering": laering, "gaa_til": target}


def minimal():
    return {
        "id": "mini",
        "titel": "Mini",
        "faggruppe": "skole",
        "rolle": "Du er lærer.",
        "intro": "En kort case.",
        "start": "a",
        "noder": {
            "a": {
                "tekst": "Start",
                "valg": [_choice("b", laering="Forbered"), _choice("b", "uheldig", laering="Forbered")],
            },
            "b": {"tekst": "Midt", "valg": [_choice("slut", laering="Lyt"), _choice("a", "delvis", laering="Lyt")]},
            "slut": {"tekst": "Slut", "slut": True},
        },
    }


def errors_of(data):
    return [(e.node, e.field, e.message) for e in validate(data, "test.yml")]


# --- schema ---------------------------------------------------------------


def test_minimal_case_is_valid():
    assert validate(minimal(), "test.yml") == []


def test_unknown_target_names_node_and_field():
    data = minimal()
    data["noder"]["b"]["valg"][0]["gaa_til"] = "nowhere"
    errs = errors_of(data)
    assert ("b", "valg[1].gaa_til", "unknown target node 'nowhere'") in errs


def test_unreachable_node():
    data = minimal()
    data["noder"]["ensom"] = {"tekst": "Ingen kommer her", "valg": [_choice("slut"), _choice("slut")]}
    errs = errors_of(data)
    assert [e for e in errs if e[0] == "ensom" and "unreachable" in e[2]]


def test_dead_end_node():
    data = minimal()
    data["noder"]["b"] = {"tekst": "Blindgyde"}
    errs = errors_of(data)
    assert ("b", "valg", "dead end: node has no choices and is not marked slut: true") in errs


def test_cycle_without_end():
    data = minimal()
    data["noder"]["b"]["valg"] = [_choice("c"), _choice("c")]
    data["noder"]["c"] = {"tekst": "Rundt", "valg": [_choice("b"), _choice("b")]}
    errs = errors_of(data)
    cyc = {e[0] for e in errs if "cycle without an end" in e[2]}
    # a can still not reach the end: every route from a goes into the b-c loop.
    assert cyc == {"a", "b", "c"}


def test_cycle_with_an_exit_is_fine():
    # minimal() has a loop b -> a -> b, but b can also reach slut.
    assert validate(minimal(), "test.yml") == []


def test_choice_fields_are_checked():
    data = minimal()
    c = data["noder"]["a"]["valg"][0]
    c["feedback"] = "  "
    c["vurdering"] = "super"
    c["farve"] = "rød"
    del c["laering"]
    errs = errors_of(data)
    fields = {e[1] for e in errs if e[0] == "a"}
    assert {"valg[1].feedback", "valg[1].vurdering", "valg[1].farve", "valg[1].laering"} <= fields


def test_one_choice_is_not_a_decision():
    data = minimal()
    data["noder"]["a"]["valg"] = data["noder"]["a"]["valg"][:1]
    assert ("a", "valg", "a decision needs at least 2 choices") in errors_of(data)


def test_end_node_with_choices_and_missing_end():
    data = minimal()
    data["noder"]["slut"]["valg"] = [_choice("a"), _choice("a")]
    errs = errors_of(data)
    assert ("slut", "valg", "an end node (slut: true) must not have choices") in errs


def test_case_level_fields():
    data = minimal()
    del data["titel"]
    data["start"] = "x"
    data["id"] = "Med Mellemrum"
    errs = errors_of(data)
    assert (None, "titel", "missing or empty text") in errs
    assert (None, "start", "unknown start node 'x'") in errs
    assert any(e[1] == "id" for e in errs)


def test_not_a_mapping():
    assert errors_of(["a", "b"])[0][2].startswith("the file must be a YAML mapping")
    assert errors_of({**minimal(), "noder": []})[-1][1] == "noder"


def test_parse_case_reports_bad_yaml():
    with pytest.raises(DialogFileError) as info:
        parse_case("id: [unclosed", "bad.yml")
    assert str(info.value).startswith("bad.yml:1: invalid YAML: ")


def test_load_case_error_has_file_line_node_field(tmp_path):
    data = minimal()
    data["noder"]["b"]["valg"][1]["gaa_til"] = "forkert"
    path = tmp_path / "min-case.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(DialogFileError) as info:
        load_case(path)
    (err,) = info.value.errors
    assert (err.file, err.node, err.field) == (str(path), "b", "valg[2].gaa_til")
    text = path.read_text(encoding="utf-8").splitlines()
    assert "forkert" in text[err.line - 1]
    # the loader's one style: file:line: field: message, the field as a path in the file
    assert str(err) == f"{path}:{err.line}: noder.b.valg[2].gaa_til: unknown target node 'forkert'"
    assert info.value.problems == [err.problem()]


def test_load_cases_keeps_good_files_and_reports_bad_and_duplicates(tmp_path):
    good = minimal()
    (tmp_path / "a.yml").write_text(yaml.safe_dump(good), encoding="utf-8")
    (tmp_path / "b.yml").write_text(yaml.safe_dump(good), encoding="utf-8")  # same id
    (tmp_path / "c.yml").write_text("noder: : :", encoding="utf-8")
    (tmp_path / "d.yml").write_bytes(b"\xff\xfe bad")
    cases, errors = load_cases(tmp_path)
    assert [c.id for c in cases] == ["mini"]
    files = [e.file for e in errors]
    assert [Path(f).name for f in files] == ["b.yml", "c.yml", "d.yml"]
    assert "already used by a.yml" in errors[0].message


# --- engine ---------------------------------------------------------------


def test_session_walk_feedback_and_summary():
    case = parse_case(yaml.safe_dump(minimal()), "m.yml")
    s = Session(case)
    assert s.node.id == "a" and not s.finished and s.decision_number == 1
    first = s.choose(1)
    assert first.vurdering == "uheldig" and first.feedback == "Derfor."
    s.choose(1)  # b -> a (delvis)
    s.choose(0)  # a -> b (god, Forbered again)
    s.choose(0)  # b -> slut (god)
    assert s.finished
    summary = s.summary()
    assert summary.antal_valg == 4 and summary.antal_gode == 2
    # Forbered and Lyt were both got wrong once: practise, not "went well".
    assert summary.oev == ("Forbered", "Lyt") and summary.godt == ()
    assert summary.slut_tekst == "Slut"
    assert summary.overskrift == "Du traf 2 gode valg ud af 4."


def test_session_rejects_bad_steps_and_restarts():
    case = parse_case(yaml.safe_dump(minimal()), "m.yml")
    s = Session(case)
    for bad in (2, -1, "0", True, None):
        with pytest.raises(SessionError):
            s.choose(bad)
    assert s.history == []
    s.choose(0)
    s.choose(0)
    with pytest.raises(SessionError):
        s.choose(0)
    s.restart()
    assert s.node_id == "a" and s.history == [] and s.summary().overskrift == "Du nåede ikke at vælge noget."


def test_all_paths_end_in_end_nodes():
    case = parse_case(yaml.safe_dump(minimal()), "m.yml")
    for path in all_paths(case):
        s = Session(case)
        for i in path:
            s.choose(i)
        assert s.finished


# --- the shipped cases ----------------------------------------------------


def shipped():
    cases, errors = load_cases(CASES_DIR)
    assert errors == [], "\n".join(map(str, errors))
    return cases


def test_shipped_cases_cover_dagtilbud_jobcenter_sundhedspleje():
    cases = shipped()
    assert len(cases) >= 2
    assert {"dagtilbud", "jobcenter", "sundhedspleje"} <= {c.faggruppe for c in cases}


@pytest.mark.parametrize("case", shipped(), ids=lambda c: c.id)
def test_shipped_case_size_and_feedback(case):
    decisions = [case.noder[n] for n in case.decision_points()]
    assert len(decisions) >= 6
    assert all(len(n.valg) >= 3 for n in decisions)
    for node in decisions:
        ratings = {c.vurdering for c in node.valg}
        assert "god" in ratings and ratings != {"god"}, node.id
        assert all(len(c.feedback) > 20 for c in node.valg)
    paths = all_paths(case)
    # Every run has at least 6 decisions and ends in an end node.
    assert min(len(p) for p in paths) >= 6


@pytest.mark.parametrize("case", shipped(), ids=lambda c: c.id)
def test_shipped_case_best_and_worst_runs(case):
    best = Session(case)
    while not best.finished:
        best.choose(next(i for i, c in enumerate(best.node.valg) if c.vurdering == "god"))
    summary = best.summary()
    assert summary.antal_gode == summary.antal_valg >= 6 and summary.oev == () and len(summary.godt) >= 5
    worst = Session(case)
    while not worst.finished:
        worst.choose(next(i for i, c in enumerate(worst.node.valg) if c.vurdering == "uheldig"))
    assert worst.summary().antal_gode == 0 and worst.summary().godt == () and len(worst.summary().oev) >= 4


WITHDRAWN = [r"14\s*/\s*21", r"7\s*/\s*14", r"§\s*153", r"§\s*50\b", r"122[.\s]?000"]


@pytest.mark.parametrize("path", sorted(CASES_DIR.glob("*.yml")), ids=lambda p: p.name)
def test_shipped_case_facts_are_current(path):
    text = path.read_text(encoding="utf-8")
    for pattern in WITHDRAWN:
        assert not re.search(pattern, text), pattern
    if "§" in text:
        assert set(re.findall(r"§\s*\d+", text)) <= {"§ 133"}
    case = load_case(path)
    all_text = " ".join(c.feedback + c.tekst for n in case.noder.values() for c in n.valg)
    # The referral facts, where they appear, are the current ones.
    if "14 dage" in all_text:
        assert "gratis" in all_text and "anonym" in all_text


def test_yaml_dump_of_shipped_case_roundtrips(tmp_path):
    """A nøgleperson copying a case as a template gets a valid file."""
    src = sorted(CASES_DIR.glob("*.yml"))[0]
    data = yaml.safe_load(src.read_text(encoding="utf-8"))
    data2 = copy.deepcopy(data)
    data2["id"] = "kopi"
    (tmp_path / "kopi.yml").write_text(yaml.safe_dump(data2, allow_unicode=True), encoding="utf-8")
    assert load_case(tmp_path / "kopi.yml").id == "kopi"


# --- widget ---------------------------------------------------------------


def test_widget_runs_a_whole_case_by_clicks():
    from rusfokus.apps.samtale import SamtaleApp

    app = SamtaleApp(CASES_DIR)
    assert app.errors.outputs == ()
    assert app.picker.description == "Vælg case" and len(app.picker.options) >= 2
    app.picker.value = "paedagog-afhentning"
    app.start_button.click()
    assert "Lene" in app.scene.value and "Valg 1" in app.scene.value
    steps = 0
    while app.choices.children:
        buttons = app.choices.children
        assert len(buttons) >= 2 and all(b.description for b in buttons)
        best = next(i for i, c in enumerate(app.session.node.valg) if c.vurdering == "god")
        buttons[best].click()
        assert "Godt valg" in app.feedback.value and all(b.disabled for b in buttons)
        buttons[0].click()  # a second click is ignored
        assert len(app.session.history) == steps + 1
        app.next_button.click()
        steps += 1
    assert steps >= 6
    assert 'data-rf="summary">Du traf' in app.scene.value and f"{steps} gode valg ud af {steps}" in app.scene.value
    assert "Intet. Du traf gode valg hele vejen." in app.scene.value
    assert app.restart_button.layout.display is None
    app.restart_button.click()
    assert app.session.history == [] and "Valg 1" in app.scene.value


def test_widget_feedback_for_a_poor_choice_and_escaping(tmp_path):
    from rusfokus.apps.samtale import SamtaleApp

    data = minimal()
    data["titel"] = "<b>Mini</b>"
    data["noder"]["a"]["valg"][1]["feedback"] = "Ikke <script>alert(1)</script> godt."
    (tmp_path / "mini.yml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    app = SamtaleApp(tmp_path)
    app.start_button.click()
    assert "&lt;b&gt;Mini&lt;/b&gt;" in app.scene.value
    app.choices.children[1].click()
    assert "Uheldigt valg" in app.feedback.value
    assert "<script>" not in app.feedback.value and "&lt;script&gt;" in app.feedback.value


def test_widget_reports_broken_files_in_danish(tmp_path, caplog):
    from rusfokus.apps.samtale import SamtaleApp

    (tmp_path / "god.yml").write_text(yaml.safe_dump(minimal()), encoding="utf-8")
    (tmp_path / "skadet.yml").write_text("id: x\nnoder: {}\n", encoding="utf-8")
    app = SamtaleApp(tmp_path)
    notice = "Nogle cases kan ikke vises, fordi filen har fejl: skadet.yml."
    assert notice in app.notice.value and 'role="alert"' in app.notice.value
    assert (
        f"samtalesimulator: {tmp_path / 'skadet.yml'}:2: noder: missing" in caplog.text
    )  # the operator log names the file
    assert [o[1] for o in app.picker.options] == ["mini"]
    app.start_button.click()  # the notice stays while the good case is used
    assert notice in app.notice.value and app.errors.outputs == ()

    empty = SamtaleApp(tmp_path / "findes-ikke")
    assert empty.start_button.disabled
    assert "ingen cases" in empty.notice.value


def test_widget_picking_another_case_resets_the_run():
    from rusfokus.apps.samtale import SamtaleApp

    app = SamtaleApp(CASES_DIR)
    app.picker.value = "paedagog-afhentning"
    app.start_button.click()
    app.choices.children[0].click()
    app.picker.value = "jobcenter-sygedagpenge"
    assert app.session is None and app.choices.children == () and app.feedback.value == ""
    assert app.next_button.layout.display == "none"
    app.start_button.click()
    assert "Kim" in app.scene.value and app.session.history == []


def test_widget_unexpected_error_is_danish(monkeypatch):
    from rusfokus.apps.guard import DANISH_ERROR
    from rusfokus.apps.samtale import SamtaleApp

    app = SamtaleApp(CASES_DIR)
    app.start_button.click()

    def boom(*_a):
        raise RuntimeError("internal")

    monkeypatch.setattr(app.session, "choose", boom)
    app.choices.children[0].click()
    assert app.errors.outputs[0]["data"]["text/plain"] == DANISH_ERROR


def test_faggruppe_must_be_known():
    data = minimal()
    data["faggruppe"] = "politi"
    assert [e for e in errors_of(data) if e[1] == "faggruppe" and "must be one of" in e[2]]


# --- CLI ------------------------------------------------------------------


def test_cli_checks_cases(tmp_path, capsys):
    from rusfokus.cli import main

    assert main(["samtaler", str(CASES_DIR)]) == 0
    out = capsys.readouterr().out
    assert out.count("OK ") == len(list(CASES_DIR.glob("*.yml")))
    data = minimal()
    data["noder"]["b"]["valg"][0]["gaa_til"] = "ingen"
    bad = tmp_path / "bad.yml"
    bad.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert main(["samtaler", str(bad)]) == 1
    assert re.search(
        r"ERROR \S*bad\.yml:\d+: noder\.b\.valg\[1\]\.gaa_til: unknown target node 'ingen'", capsys.readouterr().out
    )
    assert main(["samtaler", str(tmp_path / "missing.yml")]) == 2
    assert "no such file or folder" in capsys.readouterr().err


# --- safety notes (sikkerhed) ------------------------------------------------


def test_safety_note_is_optional_but_never_empty():
    data = minimal()
    data["noder"]["b"]["sikkerhed"] = "Ring til lægen i dag."
    assert validate(data, "test.yml") == []
    for bad in ("", "   ", None, 3, ["Ring"]):
        data["noder"]["b"]["sikkerhed"] = bad
        assert ("b", "sikkerhed", "must be a non-empty text (or leave the field out)") in errors_of(data), bad


def test_safety_note_error_names_file_line_node_field(tmp_path):
    data = minimal()
    data["noder"]["b"]["sikkerhed"] = ""
    path = tmp_path / "s.yml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    with pytest.raises(DialogFileError) as info:
        load_case(path)
    err = info.value.errors[0]
    assert (err.file, err.node, err.field) == (str(path), "b", "sikkerhed") and err.line
    assert str(err).startswith(f"{path}:{err.line}: noder.b.sikkerhed: ")


def test_engine_shows_safety_note_at_its_node_and_repeats_it_in_the_summary():
    data = minimal()
    data["noder"]["b"]["sikkerhed"] = "Stop ikke brat.\nRing til lægen i dag."
    case = parse_case(yaml.safe_dump(data), "m.yml")
    assert case.safety_nodes() == ["b"]
    s = Session(case)
    assert s.sikkerhed == ""
    s.choose(0)
    assert s.sikkerhed == "Stop ikke brat.\nRing til lægen i dag."
    s.choose(1)  # back to a, then b again: the note is listed once
    s.choose(0)
    s.choose(0)
    assert s.summary().sikkerhed == ("Stop ikke brat.\nRing til lægen i dag.",)
    # A run that never passes the node gets no safety note.
    data["noder"]["a"]["valg"][0]["gaa_til"] = "slut"
    data["noder"]["a"]["valg"][1]["gaa_til"] = "b"
    other = Session(parse_case(yaml.safe_dump(data), "m.yml"))
    other.choose(0)
    assert other.finished and other.summary().sikkerhed == ()


def _run_to(case, node_id):
    """Choices (0-based) that reach node_id on the best path, or None."""
    for path in all_paths(case):
        s = Session(case)
        for i in path:
            if s.node_id == node_id:
                return s
            s.choose(i)
    return None


@pytest.mark.slow  # walks every run of a case
def test_jobcenter_case_flags_morning_tremor_as_withdrawal_risk_on_every_run():
    case = load_case(CASES_DIR / "jobcenter-sygedagpenge.yml")
    assert "rystede" in case.intro  # the morning tremor the case shows
    notes = [case.noder[n].sikkerhed for n in case.safety_nodes()]
    assert notes, "morning tremor must be flagged"
    note = " ".join(notes)
    for must in ("abstinenser", "stoppe brat", "kramper", "læge", "rusmiddelcentret", "samme dag"):
        assert must in note, must
    # Every run from start to end passes a node with the flag, and the summary repeats it.
    for path in all_paths(case):
        s = Session(case)
        for i in path:
            s.choose(i)
        assert any("abstinenser" in x for x in s.summary().sikkerhed), path
    # Advising an abrupt stop is rated poor, and its feedback explains why.
    abrupt = [c for n in case.noder.values() for c in n.valg if "stop" in c.tekst.lower() and "i aften" in c.tekst]
    assert abrupt and all(c.vurdering == "uheldig" and "kramper" in c.feedback for c in abrupt)


@pytest.mark.parametrize("case_id, node", [("paedagog-afhentning", "vente"), ("sundhedspleje-hjemmebesoeg", "barnet")])
def test_child_disclosure_and_child_at_risk_carry_the_underretning_step(case_id, node):
    case = next(c for c in shipped() if c.id == case_id)
    note = case.noder[node].sikkerhed
    assert "Barnets Lov § 133" in note and "underrette" in note and "leder" in note
    assert _run_to(case, node) is not None, "the flagged node is reachable"


def test_widget_shows_the_safety_note_prominently_and_in_the_summary():
    from rusfokus.apps.samtale import SamtaleApp

    app = SamtaleApp(CASES_DIR)
    app.picker.value = "jobcenter-sygedagpenge"
    app.start_button.click()
    seen_note = False
    while app.choices.children:
        html = app.scene.value
        if app.session.sikkerhed:
            seen_note = True
            assert 'class="rf-sikkerhed" role="note"' in html and "Sikkerhed først" in html
            assert "stoppe brat" in html
            # The note comes before the question and the choices.
            assert html.index("rf-sikkerhed") < html.index("Hvad vælger du?")
        else:
            assert "rf-sikkerhed" not in html
        best = next(i for i, c in enumerate(app.session.node.valg) if c.vurdering == "god")
        app.choices.children[best].click()
        app.next_button.click()
    assert seen_note
    assert 'data-rf="sikkerhed-opsummering"' in app.scene.value and "Husk sikkerheden" in app.scene.value
    assert "abstinenser" in app.scene.value


def test_widget_escapes_safety_note(tmp_path):
    from rusfokus.apps.samtale import SamtaleApp

    data = minimal()
    data["noder"]["a"]["sikkerhed"] = "Ring <b>nu</b>."
    (tmp_path / "mini.yml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    app = SamtaleApp(tmp_path)
    app.start_button.click()
    assert "Ring &lt;b&gt;nu&lt;/b&gt;." in app.scene.value and "<b>nu</b>" not in app.scene.value


def test_cli_counts_safety_notes(capsys):
    from rusfokus.cli import main

    assert main(["samtaler", str(CASES_DIR / "jobcenter-sygedagpenge.yml")]) == 0
    assert "1 safety notes" in capsys.readouterr().out


def test_parse_case_refuses_an_alias_bomb_fast():
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
        f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(8)
    )
    with pytest.raises(DialogFileError) as info:
        parse_case(bomb, "bomb.yml")
    assert "bomb.yml" in str(info.value) and "aliases" in str(info.value)
