"""P7: MI coder accuracy on the held-out split, confusion matrix, and speed.

The coder's thresholds are tuned on the train split only (``tune(train)``);
accuracy is measured on the held-out split (30 %, stratified, fixed seed).
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

from rusfokus.mi.coach import default_items
from rusfokus.mi.coder import code, tune
from rusfokus.mi.dataset import LABELS, default_dataset, split

SHORT = {
    "open_question": "open",
    "closed_question": "closed",
    "simple_reflection": "simple",
    "complex_reflection": "complex",
    "affirmation": "affirm",
    "summary": "summary",
    "autonomy_support": "autonomy",
    "righting_reflex": "righting",
}
BUDGET_MS = 50.0


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
    data = default_dataset()
    train, held = split(data)
    params = tune(train)
    pairs = [(e.label, code(e.utterance, e.client, params).label) for e in held]
    acc = sum(t == p for t, p in pairs) / len(pairs)
    base = sum(e.label == form_baseline(e.utterance) for e in held) / len(held)
    train_acc = sum(e.label == code(e.utterance, e.client, params).label for e in train) / len(train)
    matrix = confusion(pairs)
    print(f"   held-out: {len(held)} utterances, train: {len(train)}; thresholds tuned on train: {params}")
    print("   confusion matrix (rows = true code, columns = coder):")
    print("\n".join("   " + line for line in matrix.splitlines()))
    examples = [(label, text, it.client) for it in default_items() for label, text in it.examples.items()]
    coach_acc = sum(code(text, client).label == label for label, text, client in examples) / len(examples)

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
            sum(1 for t, p in pairs if t == lab and p == lab) / max(1, sum(1 for t, _ in pairs if t == lab)), 2
        )
        for lab in LABELS
    }
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
        },
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
            "id": "P7-speed",
            "name": "MI coder time per utterance (best of 3) vs 50 ms budget",
            "value": round(best, 3),
            "unit": "ms",
            "baseline": BUDGET_MS,
            "ratio": round(BUDGET_MS / best, 1),
        },
    ]
