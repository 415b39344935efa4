"""``rusfokus mi-code``: code one MI response from the command line (operator tool, English)."""

from __future__ import annotations

from rusfokus.cliutil import CommandError
from rusfokus.content import mi_file
from rusfokus.mi.coach import COACH_NAME, load_items
from rusfokus.mi.coder import MAX_CHARS, CodingError, accuracy, code, tune
from rusfokus.mi.dataset import DATASET_NAME, LABELS, load_dataset, split
from rusfokus.mi.forandring import FORANDRING_NAME, load_cirkel


def _cmd_mi_code(args) -> int:
    text = args.text
    if not text.strip():
        raise CommandError(
            "the response text is empty: give the staff response to code, "
            'e.g. rusfokus mi-code "Hvad tænker du om det?"'
        )
    try:
        coding = code(text, args.client)
    except CodingError:
        raise CommandError(
            f"cannot code the response: give at least two words and at most {MAX_CHARS} characters"
        ) from None
    print(coding.label)
    print(f"confidence: {coding.confidence:.2f}")
    print(f"label (da): {coding.label_da}")
    for reason in coding.reasons:
        print(f"- {reason}")
    return 0


def _cmd_mi_check(args) -> int:
    """Validate the MI data files and report the coder's accuracy (for content editors)."""

    root = args.settings.content_dir
    data = load_dataset(mi_file(DATASET_NAME, root))
    items = load_items(args.coach or mi_file(COACH_NAME, root))
    cirkel = load_cirkel(mi_file(FORANDRING_NAME, root))
    print(f"ytringer.yml ok: {len(data)} responses")
    print(f"{args.coach or 'coach.yml'} ok: {len(items)} practice statements")
    print(f"forandringscirkel.yml ok: {len(cirkel.stages)} stages, {len(cirkel.situations)} situations")
    problems = [
        f"coach.yml {it.item_id}: the {label} example is coded as {code(text, it.client).label}: {text}"
        for it in items
        for label, text in it.examples.items()
        if code(text, it.client).label != label
    ]
    statements = {e.item_id for e in data}
    print(f"ytringer.yml: {len(statements)} client statements")
    train, held = split(data)
    shared = {e.item_id for e in train} & {e.item_id for e in held}
    if shared:  # split() cannot do this; the check guards a future change to it
        raise CommandError(f"the split shares client statements: {', '.join(sorted(shared))}")
    held_ids = {e.item_id for e in held}
    print(
        f"split by client statement: {len(held_ids)} held-out, {len(statements) - len(held_ids)} train, "
        "no statement in both"
    )
    params = tune(train) if args.tune else None
    acc = accuracy(held, params)
    print(f"held-out accuracy: {acc:.3f} ({len(held)} responses; train {len(train)})")
    per_code = {lab: accuracy([e for e in held if e.label == lab], params) for lab in LABELS}
    for lab, value in per_code.items():
        print(f"  {lab}: {value:.2f}")
    for line in problems:
        print(line)
    if problems:
        raise CommandError(
            f"{len(problems)} coach example(s) are not coded as their label: reword them or fix the label"
        )
    if acc < args.min_accuracy:
        raise CommandError(f"held-out accuracy {acc:.3f} is below {args.min_accuracy}")
    low = [f"{lab} {v:.2f}" for lab, v in per_code.items() if v < args.min_per_code]
    if low:
        raise CommandError(f"held-out accuracy per code below {args.min_per_code}: {', '.join(low)}")
    return 0


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "mi-code",
        help="Code one MI response (open_question, closed_question, simple_reflection, complex_reflection, "
        "affirmation, autonomy_support, information, righting_reflex). Prints the label on the first line.",
    )
    p.add_argument("text", help="The staff response to code (Danish).")
    p.add_argument(
        "--client",
        default=None,
        help="The client statement it responds to (helps tell simple from complex reflections).",
    )
    p.set_defaults(func=_cmd_mi_code)

    p = subparsers.add_parser(
        "mi-check", help="Validate the MI data files (dataset, coach, forandringscirkel) and report held-out accuracy."
    )
    p.add_argument("--min-accuracy", type=float, default=0.85, help="Fail below this held-out accuracy (default 0.85).")
    p.add_argument(
        "--min-per-code", type=float, default=0.70, help="Fail if any code is below this on held-out (default 0.70)."
    )
    p.add_argument("--coach", default=None, help="Check this coach file instead of the shipped data/coach.yml.")
    p.add_argument("--tune", action="store_true", help="Re-tune the thresholds on the train split first (slower).")
    p.set_defaults(func=_cmd_mi_check)
