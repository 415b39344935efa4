"""``rusfokus mi-code``: code one MI response from the command line (operator tool, English)."""

from __future__ import annotations

from .coder import MAX_CHARS, CodingError, code


def _cmd_mi_code(args) -> int:
    from ..cli import CommandError

    text = args.text
    if not text.strip():
        raise CommandError("the response text is empty: give the staff response to code, e.g. rusfokus mi-code \"Hvad tænker du om det?\"")
    try:
        coding = code(text, args.client)
    except CodingError as exc:
        raise CommandError(f"cannot code the response (max {MAX_CHARS} characters): {exc}") from None
    print(coding.label)
    print(f"confidence: {coding.confidence:.2f}")
    print(f"label (da): {coding.label_da}")
    for reason in coding.reasons:
        print(f"- {reason}")
    return 0


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "mi-code",
        help="Code one MI response (open_question, closed_question, simple_reflection, complex_reflection, "
             "affirmation, summary, autonomy_support, righting_reflex). Prints the label on the first line.",
    )
    p.add_argument("text", help="The staff response to code (Danish).")
    p.add_argument("--client", default=None, help="The client statement it responds to (helps tell simple from complex reflections).")
    p.set_defaults(func=_cmd_mi_code)
