"""P7: MI coder accuracy on the held-out statements, per code, confusion table, and speed.

The split is BY CLIENT STATEMENT (30 % of each faggruppe's statements, fixed
seed; no statement has replies in both parts). The coder's thresholds are
tuned on the train split only (``tune(train)``); accuracy is measured on the
held-out statements against the issue-17 targets: >= 0.85 overall, no code
below 0.70, <= 50 ms per utterance. Codes: MITI 4.2.1 behaviour codes with the
departures in module 3's data/README.md.
Caveat: the dataset and the coder's rules were written by the same team, so
held-out text is not independent text; a set written independently of the
project scored about 0.80 on the old coder (issue 17).
Baseline (same run, same data): sentence form alone (question word -> open,
other question -> closed, anything else -> simple reflection), i.e. what
the coder would score without its cue lexicons and overlap measure.
Also: accuracy on the coach's own example answers (written separately, not
in the dataset) and milliseconds per utterance against the 50 ms budget.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from pathlib import Path

from rusfokus.mi.coach import default_items
from rusfokus.mi.coder import code, tune
from rusfokus.mi.dataset import LABELS, default_dataset, split

CONTENT = Path(__file__).resolve().parents[1] / "modules"  # the shipped content root

SHORT = {
    "open_question": "open",
    "closed_question": "closed",
    "simple_reflection": "simple",
    "complex_reflection": "complex",
    "affirmation": "affirm",
    "autonomy_support": "autonomy",
    "information": "inform",
    "righting_reflex": "righting",
}
BUDGET_MS = 50.0

# A frozen check set: replies to the coach's practice statements (not in ytringer.yml).
# (coach item id, reply, code): written 2026-12-02 after the coder was finished and coded by hand BEFORE the
# coder saw them; never used to change a rule or a threshold.
FRESH = [
    ("c-dag-1", "Hvad er det, der fylder mest derhjemme lige nu?", "open_question"),
    ("c-dag-2", "Hvordan var det for dig, at vi spurgte til det i morges?", "open_question"),
    ("c-job-2", "Fortæl mig lidt om, hvordan dine nætter er.", "open_question"),
    ("c-psyk-2", "Hvad gør du ellers, når angsten kommer?", "open_question"),
    ("c-unge-3", "Hvordan ville det være at ses med vennerne uden at ryge?", "open_question"),
    ("c-fam-3", "Hvad har det gjort ved dig at blive skuffet så mange gange?", "open_question"),
    ("c-dag-3", "Drikker I mere end fire genstande på en aften?", "closed_question"),
    ("c-skole-3", "Har du talt med ham om det?", "closed_question"),
    ("c-job-1", "Vil du hellere tale om jobbet i dag?", "closed_question"),
    ("c-sund-3", "Er han voldelig, når han har drukket?", "closed_question"),
    ("c-unge-1", "Hvor tit er I herude?", "closed_question"),
    ("c-psyk-1", "Hvem sælger dig amfetaminen?", "closed_question"),
    ("c-dag-1", "Det sejler lidt derhjemme.", "simple_reflection"),
    ("c-job-3", "Du drikker igen efter et halvt år.", "simple_reflection"),
    ("c-psyk-3", "Du har tænkt på at stoppe med hashen.", "simple_reflection"),
    ("c-sund-2", "Du savner det, når I er til fest.", "simple_reflection"),
    ("c-unge-2", "Du sover tit hos en veninde.", "simple_reflection"),
    ("c-fam-1", "Du synes, skolen overdriver.", "simple_reflection"),
    ("c-job-3", "Du skammer dig, fordi du var så tæt på at klare det.", "complex_reflection"),
    ("c-fam-2", "Drengene er grunden til, at du vil tage fat på det nu.", "complex_reflection"),
    ("c-psyk-2", "Alkoholen giver dig ro et øjeblik, og bagefter betaler du dobbelt for den.", "complex_reflection"),
    (
        "c-skole-2",
        "Det er vigtigt for dig at høre til, og du er træt af, at voksne gør det til et problem.",
        "complex_reflection",
    ),
    (
        "c-sund-1",
        "Aftenerne er de eneste stunder, hvor du kan slappe af, og øllene er blevet en del af dem.",
        "complex_reflection",
    ),
    ("c-unge-1", "I vil hellere være sammen herude end alene hver for sig derhjemme.", "complex_reflection"),
    ("c-job-3", "Det er stærkt af dig at komme her i dag, selv om det er svært.", "affirmation"),
    ("c-sund-2", "Du har truffet en svær beslutning og holder fast i den.", "affirmation"),
    ("c-fam-2", "Du er en far, der kæmper for sine drenge.", "affirmation"),
    ("c-psyk-1", "Du gør meget for at klare dig selv i hverdagen.", "affirmation"),
    ("c-unge-3", "Det er modigt at sige, at du vil skære ned, når alle andre ryger.", "affirmation"),
    ("c-dag-4", "Det var rigtig godt, at du fortalte mig det.", "affirmation"),
    ("c-job-1", "Vi taler kun om alkohol, hvis du selv vil. Det er dig, der bestemmer.", "autonomy_support"),
    ("c-psyk-3", "Må jeg fortælle, hvad andre har fyldt aftenerne ud med?", "autonomy_support"),
    ("c-fam-3", "Du kender din datter bedst.", "autonomy_support"),
    ("c-job-2", "Hvis du vil, kan vi se på døgnrytmen sammen. Det er op til dig.", "autonomy_support"),
    ("c-unge-3", "Hvad du vælger at gøre, er helt din egen beslutning.", "autonomy_support"),
    ("c-sund-1", "Er det okay, at jeg spørger lidt mere til aftenerne?", "autonomy_support"),
    ("c-skole-1", "Det er ikke din skyld, at din mor drikker.", "information"),
    ("c-dag-4", "Det er de voksnes opgave at passe på dig og din lillebror.", "information"),
    ("c-job-3", "Du spurgte, hvad du kan gøre. Rusmiddelcentret har åben rådgivning, og det er gratis.", "information"),
    (
        "c-sund-4",
        "Du sagde ja til at høre det. Den, der har røget hash, bør ikke være alene med den lille om natten.",
        "information",
    ),
    (
        "c-psyk-2",
        "Tak, fordi jeg måtte fortælle det. Mange oplever, at angsten bliver værre dagen efter, de har drukket.",
        "information",
    ),
    (
        "c-unge-2",
        "Der findes rådgivning for unge, der har forældre, der drikker. Jeg kan finde et nummer til dig.",
        "information",
    ),
    ("c-dag-2", "Man må ikke hente børn, hvis man har drukket, det ved du godt.", "righting_reflex"),
    ("c-skole-3", "Hash er ikke en fase, det kan ødelægge hans skolegang.", "righting_reflex"),
    ("c-psyk-3", "Du bør finde en hobby i stedet for at ryge.", "righting_reflex"),
    ("c-fam-1", "Skolen har ret, og du burde lytte til dem.", "righting_reflex"),
    ("c-sund-4", "Stop med at ryge, mens du passer en nyfødt.", "righting_reflex"),
    ("c-unge-1", "Hvorfor finder I ikke bare noget andet at lave?", "righting_reflex"),
]

TARGET_OVERALL = 0.85
TARGET_PER_CODE = 0.70


def form_baseline(text: str) -> str:
    t = text.strip().lower()
    if t.endswith("?") or t.startswith(("fortæl", "beskriv")):
        return "open_question" if re.match(r"(hvad|hvordan|hvorfor|hvilke|fortæl|beskriv)\b", t) else "closed_question"
    return "simple_reflection"


def confusion(pairs) -> str:
    c = Counter(pairs)
    head = "true \\ coded".ljust(11) + "".join(f"{SHORT[lab]:>9}" for lab in LABELS)
    rows = [head]
    for t in LABELS:
        rows.append(f"{SHORT[t]:<11}" + "".join(f"{c.get((t, p), 0):>9}" for p in LABELS))
    return "\n".join(rows)


def run() -> list[dict]:
    data = default_dataset(CONTENT)
    train, held = split(data)
    params = tune(train)
    pairs = [(e.label, code(e.utterance, e.client, params).label) for e in held]
    acc = sum(t == p for t, p in pairs) / len(pairs)
    base = sum(e.label == form_baseline(e.utterance) for e in held) / len(held)
    train_acc = sum(e.label == code(e.utterance, e.client, params).label for e in train) / len(train)
    matrix = confusion(pairs)
    held_statements = {e.item_id for e in held}
    train_statements = {e.item_id for e in train}
    assert not held_statements & train_statements, "split shares a client statement"
    print(
        f"   held-out: {len(held)} utterances to {len(held_statements)} client statements; "
        f"train: {len(train)} to {len(train_statements)} (no statement in both)"
    )
    print(f"   thresholds tuned on train: {params}")
    print("   confusion table on held-out (rows = true code, columns = coder):")
    print("\n".join("   " + line for line in matrix.splitlines()))
    examples = [(label, text, it.client) for it in default_items(CONTENT) for label, text in it.examples.items()]
    coach_acc = sum(code(text, client).label == label for label, text, client in examples) / len(examples)
    clients = {it.item_id: it.client for it in default_items(CONTENT)}
    fresh_pairs = [(label, code(text, clients[item_id]).label) for item_id, text, label in FRESH]
    fresh_acc = sum(t == p for t, p in fresh_pairs) / len(fresh_pairs)
    print(f"   frozen check set (written after the coder, coded by hand first, never tuned on): {fresh_acc:.3f}")

    texts = [(e.utterance, e.client) for e in data]
    for t, c in texts[:20]:
        code(t, c)  # warm-up
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for t, c in texts:
            code(t, c)
        best = min(best, (time.perf_counter() - start) * 1000 / len(texts))
    per_label = {
        SHORT[lab]: round(
            sum(1 for t, p in pairs if t == lab and p == lab) / max(1, sum(1 for t, _ in pairs if t == lab)), 3
        )
        for lab in LABELS
    }
    print("   per code on held-out (target >= 0.70):")
    for lab in LABELS:
        n = sum(1 for t, _ in pairs if t == lab)
        ok = "ok" if per_label[SHORT[lab]] >= TARGET_PER_CODE else "BELOW TARGET"
        print(f"   {lab:<20} {per_label[SHORT[lab]]:.3f}  (n={n}) {ok}")
    print(
        f"   overall held-out {acc:.3f} (target >= {TARGET_OVERALL}); {best:.3f} ms/utterance (target <= {BUDGET_MS})"
    )
    per_code_figures = [
        {
            "id": f"P7-{SHORT[lab]}",
            "name": f"MI coder held-out accuracy for {lab} (n={sum(1 for t, _ in pairs if t == lab)}) vs target 0.70",
            "value": per_label[SHORT[lab]],
            "unit": "share",
            "baseline": TARGET_PER_CODE,
            "ratio": round(per_label[SHORT[lab]] / TARGET_PER_CODE, 2),
        }
        for lab in LABELS
    ]
    return [
        {
            "id": "P7-acc",
            "name": f"MI coder accuracy, held-out ({len(held)} utt.) vs sentence-form baseline",
            "value": round(acc, 3),
            "unit": "share",
            "baseline": round(base, 3),
            "ratio": round(acc / base, 2),
            "confusion": matrix,
            "recall_per_label": per_label,
            "target": TARGET_OVERALL,
            "meets_targets": acc >= TARGET_OVERALL and min(per_label.values()) >= TARGET_PER_CODE and best <= BUDGET_MS,
        },
        *per_code_figures,
        {
            "id": "P7-train",
            "name": f"MI coder accuracy, train ({len(train)} utt.)",
            "value": round(train_acc, 3),
            "unit": "share",
            "baseline": None,
            "ratio": None,
        },
        {
            "id": "P7-coach",
            "name": f"MI coder on the coach's {len(examples)} example answers (not in dataset; seen when fixing rules)",
            "value": round(coach_acc, 3),
            "unit": "share",
            "baseline": None,
            "ratio": None,
        },
        {
            "id": "P7-fresh",
            "name": f"MI coder on {len(FRESH)} replies written after the coder, coded by hand first (frozen)",
            "value": round(fresh_acc, 3),
            "unit": "share",
            "baseline": TARGET_OVERALL,
            "ratio": round(fresh_acc / TARGET_OVERALL, 2),
        },
        {
            "id": "P7-speed",
            "name": "MI coder time per utterance (best of 3) vs 50 ms budget",
            "value": round(best, 3),
            "unit": "ms",
            "baseline": BUDGET_MS,
            "ratio": round(BUDGET_MS / best, 1),
        },
    ]
