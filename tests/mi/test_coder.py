"""MI coder, dataset and split, tuning on train only, held-out accuracy, CLI."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from rusfokus.content.loader import DataFileError
from rusfokus.mi import CodingError, code
from rusfokus.mi.coder import DEFAULT_PARAMS, accuracy, tune
from rusfokus.mi.dataset import FAGGRUPPER, LABELS, default_dataset, load_dataset, split

TEST_CONTENT = Path(__file__).resolve().parents[2] / "modules"  # the shipped content root

HELD_OUT_MIN_ACCURACY = 0.85


@pytest.fixture(scope="module")
def data():
    return default_dataset(TEST_CONTENT)


@pytest.fixture(scope="module")
def parts(data):
    return split(data)


HELD_OUT_MIN_PER_CODE = 0.70


def test_dataset_size_labels_and_faggrupper(data):
    statements = {e.item_id: e for e in data}
    assert len(statements) >= 80
    assert len({e.client for e in data}) == len(statements)  # one item per statement
    per_label = Counter(e.label for e in data)
    assert set(per_label) == set(LABELS)
    assert "summary" not in LABELS  # MITI 4.2.1 codes a summary as a reflection
    assert min(per_label.values()) >= 30, per_label
    per_group = Counter(e.faggruppe for e in statements.values())
    assert set(per_group) == set(FAGGRUPPER)  # every faggruppe, ungeindsats included
    assert min(per_group.values()) >= 10, per_group
    # no response is written twice for the same statement
    assert len({(e.client, e.utterance) for e in data}) == len(data)


def test_split_is_by_client_statement(data, parts):
    train, held = parts
    assert len(train) + len(held) == len(data)
    # no client statement has replies in both parts (by id and by text)
    assert not {e.item_id for e in train} & {e.item_id for e in held}
    assert not {e.client for e in train} & {e.client for e in held}
    assert split(data) == parts  # same seed, same split
    assert split(data, seed=1) != parts
    per_label = Counter(e.label for e in held)
    for label in LABELS:
        assert per_label[label] >= 10, (label, per_label[label])
    held_statements = {e.item_id for e in held}
    assert 0.25 <= len(held_statements) / len({e.item_id for e in data}) <= 0.35
    assert {e.faggruppe for e in held} == set(FAGGRUPPER)


def test_dataset_refuses_a_statement_twice(tmp_path: Path):
    bad = tmp_path / "ytringer.yml"
    bad.write_text(
        '- id: a\n  faggruppe: skole\n  klient: "Jeg gider ikke."\n  svar:\n    - open_question: "Hvad så?"\n'
        '- id: b\n  faggruppe: skole\n  klient: "Jeg  gider ikke."\n  svar:\n    - simple_reflection: "Du gider."\n',
        encoding="utf-8",
    )
    with pytest.raises(DataFileError, match=r"\[2\]\.klient: the same statement as item 'a'"):
        load_dataset(bad)


@pytest.fixture(scope="module")
def tuned(parts):
    return tune(parts[0])  # train split only


@pytest.mark.slow  # tunes the coder on the whole training set
def test_defaults_are_the_tuning_result_on_train_only(parts, tuned):
    train, _held = parts
    assert tuned == DEFAULT_PARAMS  # the shipped thresholds come from the train split
    assert accuracy(train, tuned) >= accuracy(train, DEFAULT_PARAMS)


def test_held_out_accuracy_overall_and_per_code(parts):
    """The targets of issue 17 on the held-out statements, with the shipped (train-tuned) thresholds."""
    _train, held = parts
    pairs = [(e.label, code(e.utterance, e.client).label) for e in held]
    overall = sum(t == p for t, p in pairs) / len(pairs)
    assert overall >= HELD_OUT_MIN_ACCURACY, f"held-out accuracy {overall:.3f}"
    per_code = {
        label: sum(1 for t, p in pairs if t == label and p == label) / sum(1 for t, _ in pairs if t == label)
        for label in LABELS
    }
    low = {label: round(v, 2) for label, v in per_code.items() if v < HELD_OUT_MIN_PER_CODE}
    assert not low, f"codes below {HELD_OUT_MIN_PER_CODE} on held-out: {low}"
    assert accuracy(held) == overall


@pytest.mark.parametrize(
    ("text", "client", "label"),
    [
        ("Må jeg fortælle dig, hvad vi har set?", None, "autonomy_support"),
        ("Er det i orden, at jeg spørger lidt til alkohol?", None, "autonomy_support"),
        ("Det er helt op til dig.", None, "autonomy_support"),
        ("Fortæl mig om en almindelig aften.", None, "open_question"),
        ("Hvordan har du det med det?", None, "open_question"),
        ("Drikker du hver dag?", None, "closed_question"),
        ("Hvor mange genstande blev det?", None, "closed_question"),
        ("Du skal stoppe nu.", None, "righting_reflex"),
        ("Hvorfor stopper du ikke bare?", None, "righting_reflex"),
        ("Er du klar over, hvad det gør ved børnene?", None, "righting_reflex"),
        ("Det er modigt af dig at sige det.", None, "affirmation"),
        ("Du er træt.", "Jeg er så træt af det hele.", "simple_reflection"),
        (
            "Du er bange for at miste dem, og de betyder alt for dig.",
            "I vil bare tage mine børn.",
            "complex_reflection",
        ),
        (
            "Lad mig prøve at samle op: Du drikker for at sove, det hjælper lidt, og du er træt om morgenen.",
            "Jeg drikker for at sove.",
            "complex_reflection",
        ),
        # information the person asked for or said yes to, also safety information: good practice
        (
            "Du sagde ja til at høre det. Når man har drukket meget hver dag, kan det være farligt at stoppe brat. "
            "Ring til lægen i dag.",
            "Jeg drikker hver dag. Jeg vil stoppe i morgen.",
            "information",
        ),
        (
            "Alkoholbehandling i kommunen er gratis, og du kan være anonym.",
            "Hvor kan jeg få hjælp til at drikke mindre?",
            "information",
        ),
        # module 2's reassurance to a child is not a righting reflex
        ("Det er ikke din skyld, at din mor drikker.", "Min mor drikker hver aften.", "information"),
        ("Det er de voksnes opgave at løse det.", "Jeg passer på min lillebror, når far drikker.", "information"),
        # the same safety advice without permission is the righting reflex (MITI: Persuade)
        ("Det er farligt at stoppe brat, så du skal ringe til lægen.", "Jeg drikker hver dag.", "righting_reflex"),
        # confrontation stays the righting reflex, also when the person asked
        ("Det ved du godt, så tag dig sammen.", "Hvad skal jeg gøre?", "righting_reflex"),
    ],
)
def test_conventions(text, client, label):
    result = code(text, client)
    assert result.label == label, (text, result.label, result.reasons)
    assert 0.0 <= result.confidence <= 1.0
    assert result.reasons and all(isinstance(r, str) and r.endswith((".", "?", "!", "»", "«)")) for r in result.reasons)


def test_reasons_quote_the_cue():
    r = code("Må jeg fortælle lidt om det?")
    assert "»må jeg«" in r.reasons[0]
    assert r.label_da == "støtte til selvbestemmelse"


def test_echoed_modal_is_not_righting_reflex():
    client = "Min bostøtte siger, at jeg skal stoppe, men hun forstår det ikke."
    assert code("Hun siger, at du skal stoppe.", client).label != "righting_reflex"
    assert code("Hun har ret, du skal stoppe.", client).label == "righting_reflex"


@pytest.mark.parametrize("bad", ["", "   ", "x" * 1001, "?", "ok", "😀 !"])
def test_bad_input_gives_danish_error(bad):
    with pytest.raises(CodingError) as exc:
        code(bad)
    assert "Skriv" in str(exc.value)


def test_speed_per_utterance(data):
    import time

    start = time.perf_counter()
    for e in data:
        code(e.utterance, e.client)
    per_ms = (time.perf_counter() - start) * 1000 / len(data)
    assert per_ms < 50, per_ms


def test_bad_dataset_file_names_file_item_and_field(tmp_path: Path):
    bad = tmp_path / "ytringer.yml"
    bad.write_text(
        '- id: a\n  faggruppe: skole\n  klient: "Hej"\n  svar:\n    - open_question: "Hvad så?"\n'
        '- id: b\n  faggruppe: skole\n  klient: "Goddag"\n  svar:\n    - reflektion: "Du siger hej."\n',
        encoding="utf-8",
    )
    with pytest.raises(DataFileError) as exc:
        load_dataset(bad)
    msg = str(exc.value)
    assert msg == f"{bad}:10: [2].svar[1]: unknown code 'reflektion' (allowed: {', '.join(LABELS)})"


def _cli(*args):
    script = Path(sys.executable).parent / "rusfokus"  # the installed console script
    return subprocess.run([str(script), *args], capture_output=True, text=True, timeout=60)


def test_cli_prints_label_first():
    res = _cli("mi-code", "Hvad tænker du selv om det?")
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0] == "open_question"
    assert lines[1].startswith("confidence: ")
    assert any(line.startswith("- ") for line in lines[2:])


def test_cli_with_client_and_empty_text():
    res = _cli("mi-code", "Du er træt.", "--client", "Jeg er så træt af det hele.")
    assert res.stdout.splitlines()[0] == "simple_reflection"
    res = _cli("mi-code", "  ")
    assert res.returncode == 2
    assert "error:" in res.stderr and "empty" in res.stderr and "Traceback" not in res.stderr


def test_cli_mi_check_ok_and_flags_bad_coach_example(tmp_path: Path):
    res = _cli("mi-check")
    assert res.returncode == 0, res.stderr
    assert "ytringer.yml ok: " in res.stdout and "held-out accuracy: 0.9" in res.stdout
    assert "no statement in both" in res.stdout and "information: " in res.stdout
    bad = tmp_path / "coach.yml"
    bad.write_text(
        '- id: x\n  faggruppe: skole\n  situation: En elev.\n  klient: "Jeg gider ikke skolen."\n  barn: ingen\n'
        '  eksempler:\n    complex_reflection: "Du skal komme hver dag."\n    open_question: "Hvad tænker du?"\n',
        encoding="utf-8",
    )
    res = _cli("mi-check", "--coach", str(bad))
    assert res.returncode == 2
    assert "x: the complex_reflection example is coded as righting_reflex" in res.stdout
    assert "error: 1 coach example(s)" in res.stderr


# Responses the way learners type them, written after the coder (13:20) and coded by hand
# before running it: 25 of 30 right on the first run. The misses showed general gaps
# (echoed modals in "hvordan du skal", "kræver ærlighed", "har ret til") that were then
# fixed in the lexicon, so this is a regression set now, not an independent measure.
# Issue 17 (MITI 4.2.1): the two "summaries" of one client statement are complex reflections.
C1 = "Jeg drikker bare et par øl, når jeg kommer hjem fra arbejde. Det gør alle da."
C2 = "Jeg er så træt af, at alle blander sig i, hvordan jeg passer mine børn."
C3 = "Jeg ved godt, jeg burde skære ned, men det er det eneste, der hjælper mig med at sove."
LEARNER_STYLE = [
    (
        C1,
        "Det lyder som om øllene hjælper dig med at koble af efter arbejdet.",
        "complex_reflection",
    ),
    (C1, "Du drikker et par øl, når du kommer hjem.", "simple_reflection"),
    (C1, "Hvordan har du det, når du har drukket dem?", "open_question"),
    (C1, "Hvor mange øl bliver det på en aften?", "closed_question"),
    (C1, "Jeg tænker, at du burde prøve at drikke lidt mindre.", "righting_reflex"),
    (
        C1,
        "Er det i orden, hvis jeg fortæller lidt om, hvad der kan ske, når man drikker hver dag?",
        "autonomy_support",
    ),
    (
        C1,
        "Jeg kan høre, at du arbejder hårdt og gerne vil have et frirum bagefter.",
        "complex_reflection",
    ),
    (C1, "Drikker du også i weekenderne?", "closed_question"),
    (C2, "Du er træt af, at alle blander sig.", "simple_reflection"),
    (C2, "Du føler dig mistænkt, selv om du gør dit bedste for dine børn.", "complex_reflection"),
    (C2, "Hvad er det værste ved, at folk blander sig?", "open_question"),
    (C2, "Det er tydeligt, at dine børn betyder alt for dig.", "affirmation"),
    (C2, "Vi blander os kun, fordi vi er bekymrede, så det må du acceptere.", "righting_reflex"),
    (
        C2,
        "Det er dig, der er deres mor, og det er dig, der bestemmer derhjemme.",
        "autonomy_support",
    ),
    (C2, "Fortæl mig, hvad der er sket.", "open_question"),
    (C2, "Er det skolen, du tænker på?", "closed_question"),
    (C3, "Du ved godt, du burde skære ned.", "simple_reflection"),
    (
        C3,
        "En del af dig vil gerne skære ned, og en anden del er bange for ikke at kunne sove.",
        "complex_reflection",
    ),
    (C3, "Hvad ville der ske, hvis du drak lidt mindre?", "open_question"),
    (C3, "Det kræver ærlighed at sige det så klart.", "affirmation"),
    (
        C3,
        "Alkohol giver faktisk dårligere søvn, så du skal finde en anden løsning.",
        "righting_reflex",
    ),
    (C3, "Vil du høre om nogle andre ting, der kan hjælpe på søvnen?", "autonomy_support"),
    (
        C3,
        (
            "Så hvis jeg forstår dig ret: Du vil gerne skære ned, alkoholen hjælper dig med at sove, "
            "og du ved ikke helt, hvordan du skal gøre. Er det rigtigt?"
        ),
        "complex_reflection",
    ),
    (C3, "Hvornår begyndte du at drikke for at sove?", "closed_question"),
    (C3, "Søvnen betyder meget for dig.", "complex_reflection"),
    (C3, "Du har allerede tænkt meget over det her.", "affirmation"),
    (C1, "Hvad betyder de øl for dig?", "open_question"),
    (
        C1,
        (
            "Lad mig lige samle op: Du drikker et par øl efter arbejde, "
            "du synes, det er normalt, og det hjælper dig med at slappe af."
        ),
        "complex_reflection",
    ),
    (C2, "Du har ret til at være træt af det. Du kender dine børn bedst.", "autonomy_support"),
    (C2, "Du holder af dine børn og kæmper for dem hver dag.", "affirmation"),
]


def test_learner_style_responses():
    wrong = [(t, label, code(t, c).label) for c, t, label in LEARNER_STYLE if code(t, c).label != label]
    assert len(wrong) <= 2, wrong
