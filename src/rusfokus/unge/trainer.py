"""The judgement trainer "Signal eller støj?": sort observations, answer three questions, get a plan.

Pure logic; the widget is :mod:`rusfokus.apps.signal_eller_stoej`. A
:class:`Session` takes the learner through one case: each observation is
sorted as støj, signal or handl i dag (feedback after every choice), then she
answers three questions: how soon to act, whom to talk to first, which rule
matters most (feedback again). Then :func:`plan` says what to do now, whom to
involve and which rules apply.

Facts and legal references follow ``fagligt-grundlag.md``: Barnets Lov § 133
(skærpet underretningspligt, also unlawful school absence; personal duty;
assessed within 24 hours), Barnets Lov § 33 (social drug treatment for
under-18s; its 14-day and consent rules are marked "verify" and are not
taught here), serviceloven § 101 and § 101 a, sundhedsloven § 141,
tavshedspligt (straffeloven § 152, forvaltningsloven § 27), Sundhedsstyrelsen's
advice on alcohol (under 18: no alcohol; 18-25: particular care; 10 a week,
at most 4 on the same day) and the safety section (overdose and 112,
intoxication raises suicide risk, withdrawal: never stop abruptly, a doctor or
the rusmiddelcenter the same day). Local names and phone numbers come from
``kommune.yml`` (:class:`rusfokus.kommune.Kommune`, its ``ungetilbud``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rusfokus.kommune import Kommune
from rusfokus.unge.cases import (
    AKUT_SVAR,
    HANDL_I_DAG,
    HOLD_OEJE,
    NIVEAUER,
    SIGNAL,
    STOEJ,
    SVAR,
    TAL_SNART,
    Case,
)
from rusfokus.ungetilbud import tilbud_til


class SessionError(Exception):
    """An impossible step (sorting out of order or twice, answering a question too early)."""


@dataclass(frozen=True)
class Feedback:
    rigtigt: bool
    overskrift: str
    tekst: str
    akut: bool = False
    """The right answer means act today (shown as a warning)."""


@dataclass(frozen=True)
class Question:
    """A question after the sorting: how soon, whom first, which rule."""

    key: str
    tekst: str
    valg: tuple[tuple[str, str], ...]
    """(value, Danish label) pairs; every label names the question's subject (screen readers hear it alone)."""
    rigtige: frozenset[str]
    forklaring: str


@dataclass(frozen=True)
class Regel:
    ref: str
    tekst: str


@dataclass(frozen=True)
class Kontakt:
    hvem: str
    tekst: str
    telefon: str = ""


@dataclass(frozen=True)
class Plan:
    handl_i_dag: bool
    nu: tuple[str, ...]
    inddrag: tuple[Kontakt, ...]
    regler: tuple[Regel, ...]


@dataclass(frozen=True)
class Result:
    rigtige: int
    antal: int
    spoergsmaal_rigtige: int
    spoergsmaal: int
    plan: Plan

    @property
    def overskrift(self) -> str:
        return (
            f"Du sorterede {self.rigtige} af {self.antal} iagttagelser rigtigt "
            f"og svarede rigtigt på {self.spoergsmaal_rigtige} af {self.spoergsmaal} spørgsmål."
        )


SORT_LABEL = {STOEJ: "støj", SIGNAL: "et signal", AKUT_SVAR: "handl i dag"}


@dataclass
class Session:
    """One learner's run through one case: observations in order, then the questions in order."""

    case: Case
    svar: list[str] = field(default_factory=list)
    answers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.questions: tuple[Question, ...] = questions(self.case)

    @property
    def index(self) -> int:
        """0-based index of the observation to sort next (== number of observations when all are sorted)."""
        return len(self.svar)

    @property
    def all_sorted(self) -> bool:
        return len(self.svar) == len(self.case.iagttagelser)

    @property
    def question(self) -> Question | None:
        """The question to answer next (None while sorting, and when every question is answered)."""
        if not self.all_sorted:
            return None
        return next((q for q in self.questions if q.key not in self.answers), None)

    @property
    def finished(self) -> bool:
        return self.all_sorted and len(self.answers) == len(self.questions)

    @property
    def rigtige(self) -> int:
        return sum(1 for given, o in zip(self.svar, self.case.iagttagelser, strict=False) if given == o.svar)

    def sort(self, svar: str) -> Feedback:
        """Sort the next observation as ``stoej``, ``signal`` or ``handl_i_dag``; feedback on the choice."""
        if svar not in SVAR:
            raise SessionError(f"answer must be one of {', '.join(SVAR)}, got {svar!r}")
        if self.all_sorted:
            raise SessionError("every observation is sorted already")
        o = self.case.iagttagelser[self.index]
        self.svar.append(svar)
        right = svar == o.svar
        head = f"Rigtigt: {SORT_LABEL[o.svar]}." if right else f"Ikke helt. Det rigtige er: {SORT_LABEL[o.svar]}."
        return Feedback(rigtigt=right, overskrift=head, tekst=o.forklaring, akut=o.svar == AKUT_SVAR)

    def answer(self, value: str) -> Feedback:
        """Answer the current question; feedback on the choice."""
        q = self.question
        if q is None:
            raise SessionError("sort every observation first" if not self.all_sorted else "every question is answered")
        labels = dict(q.valg)
        if value not in labels:
            raise SessionError(f"question {q.key!r} has no option {value!r}")
        self.answers[q.key] = value
        right = value in q.rigtige
        best = [labels[v] for v, _ in q.valg if v in q.rigtige]
        head = "Rigtigt." if right else f"Ikke helt. Det rigtige er: {' eller '.join(best)}."
        akut = q.key == "niveau" and self.case.niveau == HANDL_I_DAG
        return Feedback(rigtigt=right, overskrift=head, tekst=q.forklaring, akut=akut)

    def result(self, kommune: Kommune | None) -> Result:
        if not self.finished:
            raise SessionError("the run is not finished")
        return Result(
            rigtige=self.rigtige,
            antal=len(self.case.iagttagelser),
            spoergsmaal_rigtige=sum(1 for q in self.questions if self.answers[q.key] in q.rigtige),
            spoergsmaal=len(self.questions),
            plan=plan(self.case, kommune),
        )

    def restart(self) -> None:
        self.svar.clear()
        self.answers.clear()


# ---- the questions after the sorting ---------------------------------------------------------

FOERST = {
    "ung": "Først den unge selv, alene",
    "foraeldre": "Først forældrene",
    "leder": "Først din leder",
    "112": "Først 112",
}
DANGER = ("overdosis", "selvmord")


def questions(case: Case) -> tuple[Question, ...]:
    """How soon to act, whom to turn to first, and which rule matters most, with the answer key."""
    level = Question(
        "niveau", "Hvad gør du nu?", tuple(NIVEAUER.items()), frozenset({case.niveau}), case.niveau_forklaring
    )
    if any(a in DANGER for a in case.akut):
        first, why = (
            "112",
            (
                "Når livet kan være i fare, ringer du 112 først. "
                "Du taler med den unge, forældrene og din leder bagefter."
            ),
        )
    else:
        first, why = (
            "ung",
            (
                "Tal med den unge alene først. En ung siger mere, når ingen andre sidder med. "
                "Så ved den unge også, hvad du vil gøre, før du taler med andre."
            ),
        )
    whom = Question("foerst", "Hvem taler du med først?", tuple(FOERST.items()), frozenset({first}), why)
    rule_options = tuple((key, RULES[key].ref) for key in ("bl133", "bl33", "sel101", "sul141"))
    if case.under_18:
        right = {"bl133"}
        why = (
            "Den unge er under 18. Du skal underrette, hvis du har grund til at tro, at den unge kan have brug "
            "for særlig støtte. Pligten er din egen."
        )
        if case.niveau == HOLD_OEJE:
            why += " Det har du ikke endnu, men reglen gælder, hvis det bliver til et mønster."
    else:
        right = set()
        parts = []
        if case.alkohol:
            right.add("sul141")
            parts.append("Alkoholbehandling for unge fra 18 år sker efter sundhedsloven § 141.")
        if case.stoffer:
            right.add("sel101")
            parts.append("Behandling for stoffer for unge fra 18 år sker efter serviceloven § 101.")
        why = (
            "Den unge er fyldt 18. Underretningspligten i Barnets Lov gælder børn under 18, "
            "så den gælder ikke for den unge selv. " + " ".join(parts)
        )
    rule = Question("regel", "Hvilken regel skal du især kende her?", rule_options, frozenset(right), why)
    return (level, whom, rule)


# ---- what to do now ------------------------------------------------------------------------

AKUT_SKRIDT = {
    "overdosis": "Ring 112 nu. Bliv hos den unge, til hjælpen kommer. Fortæl 112, hvad den unge kan have taget.",
    "selvmord": "Lad ikke den unge være alene. Ring 112, hvis der er akut fare. Rus øger risikoen for selvmord.",
    "abstinenser": (
        "Sig til den unge, at han eller hun ikke må stoppe brat med at drikke. Når man drikker hver dag, "
        "kan abstinenser give kramper. Hjælp den unge med at kontakte en læge eller {rc} i dag."
    ),
}

RULES = {
    "bl133": Regel(
        "Barnets Lov § 133",
        "Som offentligt ansat har du skærpet underretningspligt. Du skal underrette kommunen, hvis du ved "
        "eller har grund til at tro, at en ung under 18 kan have brug for særlig støtte. Det gælder også "
        "ulovligt skolefravær. Pligten er personlig: Den gælder, også hvis din leder er uenig. Kommunen "
        "vurderer underretningen inden for 24 timer.",
    ),
    "bl33": Regel(
        "Barnets Lov § 33",
        "Når en ung under 18 skal i behandling for brug af stoffer, er det social behandling efter Barnets "
        "Lov § 33. Familieafdelingen eller ungebehandlingen kan fortælle, hvordan det foregår.",
    ),
    "sel101": Regel(
        "Serviceloven § 101",
        "Unge fra 18 år kan få social behandling for brug af stoffer efter en samlet afdækning. "
        "Behandlingen begynder inden for 14 dage, og den unge kan frit vælge et tilsvarende tilbud. "
        "Anonym behandling står i § 101 a. Den er kun for unge, der ikke har andre sociale problemer, "
        "som de skal have hjælp til.",
    ),
    "sul141": Regel(
        "Sundhedsloven § 141",
        "Unge fra 18 år kan få gratis alkoholbehandling i kommunen. Behandlingen begynder inden for "
        "14 dage, og den kan være anonym. Medicin mod abstinenser hører også under § 141.",
    ),
    "sst_under18": Regel(
        "Sundhedsstyrelsens råd om alkohol", "Sundhedsstyrelsen råder unge under 18 til ikke at drikke alkohol."
    ),
    "sst_18_25": Regel(
        "Sundhedsstyrelsens råd om alkohol",
        "Voksne bør højst drikke 10 genstande om ugen og højst 4 på samme dag. Unge mellem 18 og 25 "
        "skal være særligt forsigtige.",
    ),
    "tavshed": Regel(
        "Tavshedspligt (straffeloven § 152 og forvaltningsloven § 27)",
        "Du har tavshedspligt om det, du får at vide om den unge. Tavshedspligten er ikke absolut: "
        "En underretning, som loven kræver, er lovlig.",
    ),
}


def rule_keys(case: Case) -> list[str]:
    """Which rules apply to the case: by age (under 18 or 18-25) and by alcohol or drugs."""
    keys = []
    if case.under_18:
        keys.append("bl133")
        if case.stoffer:
            keys.append("bl33")
        if case.alkohol:
            keys.append("sst_under18")
    else:
        if case.alkohol:
            keys += ["sul141", "sst_18_25"]
        if case.stoffer:
            keys.append("sel101")
    keys.append("tavshed")
    return keys


def _offers(kommune: Kommune | None, case: Case, kind: str) -> list:
    if kommune is None:
        return []
    return [o for o in tilbud_til(kommune.ungetilbud, case.alder) if o.type == kind]


def _steps(case: Case, k: Kommune | None) -> list[str]:
    rc = k.rusmiddelcenter.navn if k else "rusmiddelcentret"
    familie = k.boernefamilie if k else None
    treatment = _offers(k, case, "behandling")
    place = treatment[0].navn if treatment else rc
    steps = [AKUT_SKRIDT[a].format(rc=rc) for a in case.akut]
    if case.niveau == HOLD_OEJE:
        return [
            "Skriv ned, hvad du har set, og hvornår. Så kan du se, om det bliver til et mønster.",
            "Vær en voksen, den unge kan tale med. Spørg gerne, hvordan det går.",
            "Tal med jeres nøgleperson, hvis du bliver i tvivl.",
        ]
    today = case.niveau == HANDL_I_DAG
    danger = any(a in ("overdosis", "selvmord") for a in case.akut)
    talk = (
        "Tal med den unge alene om det, der skete, når faren er drevet over."
        if danger
        else "Tal med den unge alene i dag. Sig, hvad du har set, og spørg, hvordan han eller hun har det."
        if today
        else "Tal med den unge alene inden for få dage. Sig, hvad du har set, og spørg nysgerrigt, "
        "hvordan han eller hun har det."
    )
    steps.append(talk)
    steps.append("Fortæl din leder det i dag." if today else "Tal med din leder eller jeres nøgleperson.")
    steps.append("Skriv kort ned, hvad du har set og hørt, og hvornår.")
    if case.under_18:
        steps.append(
            "Kontakt forældrene i dag."
            if today
            else "Aftal med den unge og din leder, hvordan forældrene skal inddrages."
        )
        who = f"{familie.navn} på {familie.telefon}" if familie else "kommunens familieafdeling"
        if today:
            after = f" Uden for åbningstid: {familie.uden_for_aabningstid}" if familie else ""
            steps.append(f"Underret i dag: ring til {who}.{after}")
        else:
            steps.append(
                f"Vurder med din leder, om den unge kan have brug for særlig støtte. Hvis ja, skal du "
                f"underrette {who}. Pligten er din egen."
            )
    else:
        steps.append("Den unge er voksen. Forældrene skal kun inddrages, hvis den unge selv vil.")
    steps.append(f"Fortæl om {place}, og tilbyd at ringe sammen.")
    steps.append("Følg op: Aftal, hvornår I taler sammen igen.")
    return steps


def _partners(case: Case, k: Kommune | None) -> list[Kontakt]:
    out: list[Kontakt] = []
    danger = any(a in ("overdosis", "selvmord") for a in case.akut)
    if danger:
        out.append(
            Kontakt(
                "Alarmcentralen",
                "Ved fare for liv eller helbred, fx hvis den unge ikke kan vækkes eller taler om at dø.",
                "112",
            )
        )
    out.append(
        Kontakt(
            "Den unge selv, alene",
            ("Når faren er drevet over: " if danger else "")
            + "Tal med den unge først, før du taler med andre om det. Lov aldrig at holde noget hemmeligt.",
        )
    )
    if case.under_18:
        out.append(
            Kontakt(
                "Forældrene",
                "Den unge er under 18. Kontakt forældrene i dag."
                if case.niveau == HANDL_I_DAG
                else "Den unge er under 18. Forældrene skal som regel inddrages. Aftal med den unge, hvordan."
                if case.niveau == TAL_SNART
                else "Den unge er under 18. Tal med forældrene, hvis det, du ser, bliver til et mønster.",
            )
        )
    out.append(
        Kontakt(
            "Din leder og jeres nøgleperson",
            "Hvis du bliver i tvivl." if case.niveau == HOLD_OEJE else "Sparring om, hvad I gør, og hvem der gør det.",
        )
    )
    if case.niveau == HOLD_OEJE:
        return out + _adult_parents(case)
    if "abstinenser" in case.akut:
        rc = k.rusmiddelcenter if k else None
        out.append(
            Kontakt(
                f"Egen læge eller {rc.navn if rc else 'rusmiddelcentret'}",
                "I dag: Abstinenser kan give kramper.",
                rc.telefon if rc else "",
            )
        )
    if case.under_18:
        bf = k.boernefamilie if k else None
        out.append(
            Kontakt(
                bf.navn if bf else "Familieafdelingen",
                "Underretning i dag."
                if case.niveau == HANDL_I_DAG
                else "Underretning, hvis du har grund til at tro, at den unge kan have brug for særlig støtte.",
                bf.telefon if bf else "",
            )
        )
    for partner in case.samarbejde:
        offers = _offers(k, case, partner)
        if partner == "ssp":
            text = (
                "Tal med SSP, hvis du er bekymret for flere unge, eller hvis det sker i fritiden. "
                "Spørg jeres SSP-koordinator, hvilke oplysninger I må dele."
            )
            name = "SSP"
        else:
            text = "Ungeindsatsen kan støtte den unge med uddannelse eller job og følge med til behandling."
            name = "Ungeindsatsen"
        if offers:
            for o in offers:
                out.append(Kontakt(o.navn, text, o.telefon))
        else:
            out.append(Kontakt(name, text))
    treatment = _offers(k, case, "behandling")
    for o in treatment:
        out.append(Kontakt(o.navn, f"For unge {o.alder}. {o.tilbyder}", o.telefon))
    if not treatment:
        rc = k.rusmiddelcenter if k else None
        out.append(
            Kontakt(
                rc.navn if rc else "Rusmiddelcentret",
                "Rådgivning og behandling. Du kan også selv ringe for at få råd.",
                rc.telefon if rc else "",
            )
        )
    return out + _adult_parents(case)


def _adult_parents(case: Case) -> list[Kontakt]:
    """A young adult's parents come last, and only if she wants them: staff have tavshedspligt."""
    if case.under_18:
        return []
    return [
        Kontakt(
            "Forældrene",
            "Den unge er voksen, og du har tavshedspligt. Forældrene inddrages kun, hvis den unge selv vil.",
        )
    ]


def plan(case: Case, kommune: Kommune | None) -> Plan:
    """What to do now, whom to involve (in order) and which rules apply, for one case.

    With ``kommune=None`` (kommune.yml could not be read) no local names or
    phone numbers are given, only the kinds of places and 112.
    """
    return Plan(
        handl_i_dag=case.niveau == HANDL_I_DAG,
        nu=tuple(_steps(case, kommune)),
        inddrag=tuple(_partners(case, kommune)),
        regler=tuple(RULES[key] for key in rule_keys(case)),
    )
