"""Henvisningsguide: from a few answers about a situation to what to do, whom to call, which rules apply.

Pure logic; the app is :mod:`rusfokus.apps.henvisning`. Contacts come from the
municipality's ``kommune.yml`` (:func:`rusfokus.kommune.load_kommune`). Legal
references follow ``fagligt-grundlag.md`` (§ 3 and "Additions 2026-12"):
sundhedsloven § 141 (alcohol treatment, including its medicine: Antabus,
Campral, abstinensbehandling), § 142 (drug treatment only: lægesamtale and
substitution with afhængighedsskabende lægemidler), serviceloven § 101 (social
drug treatment; anonymous: § 101 a, only without other social problems, through
an afklarende samtale), Barnets Lov § 33 (under 18) and § 133
(underretningspligt), tavshedspligt (straffeloven § 152, forvaltningsloven § 27).
"""

from __future__ import annotations

from dataclasses import dataclass

from rusfokus.kommune import Kommune

HVEM = {
    "voksen": "En voksen, der drikker eller tager stoffer",
    "ung": "Et barn eller en ung under 18, der selv drikker eller tager stoffer",
    "barn_af_foraelder": "Et barn, hvis forælder drikker eller tager stoffer",
}
RUSMIDDEL = {
    "alkohol": "Alkohol",
    "stoffer": "Stoffer, fx hash eller kokain",
    "begge": "Både alkohol og stoffer",
    "ved_ikke": "Ved ikke, hvilket rusmiddel",
}
HASTEGRAD = {
    "akut": "Akut: nogen er i fare lige nu",
    "haster": "Det haster: det kan ikke vente flere dage",
    "bekymring": "En bekymring, der har stået på et stykke tid",
}
# Every option names its question, so that a screen reader user hears "Ja, personen vil have hjælp",
# not a bare "Ja" (ipywidgets radio groups carry no group name).
VIL_HJAELP = {
    "ja": "Ja, personen vil have hjælp",
    "nej": "Nej, personen vil ikke have hjælp",
    "ved_ikke": "Ved ikke, eller jeg har ikke spurgt",
}
BOERN = {
    "ja": "Ja, der er børn i hjemmet",
    "nej": "Nej, der er ingen børn i hjemmet",
    "ved_ikke": "Ved ikke, om der er børn",
}

QUESTIONS = (
    ("hvem", "1. Hvem er du bekymret for?", HVEM),
    ("rusmiddel", "2. Drejer det sig om alkohol eller stoffer?", RUSMIDDEL),
    ("hastegrad", "3. Hvor meget haster det?", HASTEGRAD),
    ("vil_hjaelp", "4. Vil personen, der drikker eller tager stoffer, selv have hjælp?", VIL_HJAELP),
    ("boern", "5. Er der børn under 18 i personens hjem?", BOERN),
)


class HenvisningError(ValueError):
    """Missing or unknown answer (learner-facing Danish message)."""


@dataclass(frozen=True)
class Situation:
    hvem: str
    rusmiddel: str
    hastegrad: str
    vil_hjaelp: str
    boern: str = "ved_ikke"  # only asked when hvem == "voksen"

    @property
    def barn_involveret(self) -> bool:
        return self.hvem != "voksen" or self.boern == "ja"

    @property
    def alkohol(self) -> bool:
        return self.rusmiddel in ("alkohol", "begge", "ved_ikke")

    @property
    def stoffer(self) -> bool:
        return self.rusmiddel in ("stoffer", "begge", "ved_ikke")


@dataclass(frozen=True)
class Regel:
    ref: str
    tekst: str


@dataclass(frozen=True)
class Kontakt:
    navn: str
    telefon: str
    tekst: str


@dataclass(frozen=True)
class Vejledning:
    nu: tuple[str, ...]
    kontakter: tuple[Kontakt, ...]
    regler: tuple[Regel, ...]
    underretning: bool


def situation(answers: dict) -> Situation:
    """Validate answers (keys as in QUESTIONS) into a Situation; Danish message naming the first missing one."""
    values = {}
    for i, (key, text, options) in enumerate(QUESTIONS):
        value = answers.get(key)
        if key == "boern" and answers.get("hvem") != "voksen":
            value = "ved_ikke"
        if value is None:
            raise HenvisningError(f"Svar på spørgsmål {i + 1}: {text[3:]}")
        if value not in options:
            raise HenvisningError(f"Svaret på spørgsmål {i + 1} er ikke en af svarmulighederne.")
        values[key] = value
    return Situation(**values)


RULES = {
    "141": Regel(
        "Sundhedsloven § 141",
        "Kommunen tilbyder gratis alkoholbehandling. Behandlingen begynder inden for 14 dage, "
        "efter at personen har henvendt sig. Medicin i alkoholbehandlingen hører også under § 141, "
        "fx Antabus, Campral og medicin mod abstinenser. Behandlingen kan være anonym, hvis personen "
        "ønsker det. Men en anonym person kan ikke få medicin.",
    ),
    "142": Regel(
        "Sundhedsloven § 142",
        "Reglen gælder behandling for stoffer, ikke for alkohol. Personen kan få en gratis samtale med "
        "en læge, før behandlingen begynder. Personen kan også få behandling med afhængighedsskabende "
        "medicin, fx metadon eller buprenorfin. Behandlingen begynder inden for 14 dage.",
    ),
    "101": Regel(
        "Serviceloven § 101",
        "Kommunen tilbyder social behandling for brug af stoffer efter en samlet afdækning. "
        "Behandlingen begynder inden for 14 dage, og personen kan frit vælge et tilsvarende tilbud. "
        "Anonym ambulant behandling står i § 101 a. Den er kun for personer, der ikke har andre "
        "sociale problemer, som de skal have hjælp til efter serviceloven. "
        "Rusmiddelcentret afgør det i en afklarende samtale.",
    ),
    "bl33": Regel(
        "Barnets Lov § 33", "Behandling af børn og unge under 18 for brug af stoffer sker efter Barnets Lov § 33."
    ),
    "bl133": Regel(
        "Barnets Lov § 133",
        "Du har skærpet underretningspligt som offentligt ansat. Du skal underrette kommunen, hvis du ved "
        "eller har grund til at tro, at et barn under 18 kan have brug for særlig støtte. Pligten er "
        "personlig: den gælder, også hvis din leder er uenig. Kommunen vurderer underretningen inden for 24 timer.",
    ),
    "tavshed": Regel(
        "Tavshedspligt (straffeloven § 152 og forvaltningsloven § 27)",
        "Du har tavshedspligt om det, du får at vide om personen. Tal ikke med andre om det uden grund. "
        "Tavshedspligten er ikke absolut: En underretning, som loven kræver, er lovlig.",
    ),
}


def _steps(s: Situation, k: Kommune | None) -> list[str]:
    rc = k.rusmiddelcenter.navn if k else "rusmiddelcentret"
    familie = k.boernefamilie.navn if k else "kommunens børne- og familieafdeling"
    after_hours = f" Uden for åbningstid: {k.boernefamilie.uden_for_aabningstid}" if k else ""
    steps: list[str] = []
    child = s.barn_involveret
    if s.hastegrad == "akut":
        steps.append(
            "Ring 112 nu, hvis nogens liv eller helbred er i fare, fx ved bevidstløshed, "
            "forgiftning, trusler om selvmord eller vold."
        )
        if s.hvem == "ung":
            steps.append("Bliv hos den unge, eller sørg for, at en anden voksen gør det, til der er hjælp.")
        elif child:
            steps.append(
                "Sørg for, at barnet er i sikkerhed, og lad det ikke være alene med en voksen, "
                "der er for påvirket til at passe på det."
            )
        if child:
            steps.append(f"Underret kommunen samme dag: ring til {familie}.{after_hours}")
        steps.append("Fortæl din leder, hvad der er sket, så snart du kan.")
    else:
        when = " i dag" if s.hastegrad == "haster" else ""
        steps.append(f"Tal med din leder{when} om din bekymring, og find jeres lokale retningslinjer.")
        steps.append("Skriv kort ned, hvad du selv har set og hørt, og hvornår.")
    if s.hvem == "voksen":
        talk = "Tag en bekymringssamtale. Sig roligt, hvad du har set, og spørg, hvordan personen har det."
    elif s.hvem == "ung":
        talk = "Tal med den unge om det, du har set. Lyt, og spørg, hvordan han eller hun har det."
    else:
        talk = (
            "Tag en bekymringssamtale med forælderen. Sig, hvad du har set hos barnet, "
            "og spørg, hvordan det går derhjemme. Aftal med din leder, hvornår det skal ske."
        )
    if s.hastegrad == "akut":
        talk = "Når faren er drevet over: " + talk
    if not (s.hvem == "voksen" and s.vil_hjaelp == "ja"):  # a "yes" means you have already talked
        steps.append(talk)
    if s.hvem == "ung":
        steps.append("Aftal med din leder, hvordan forældrene skal inddrages.")
    who = "den unge" if s.hvem == "ung" else "forælderen" if s.hvem == "barn_af_foraelder" else "personen"
    if s.vil_hjaelp == "ja":
        place = "kommunens tilbud til unge" if s.hvem == "ung" else rc
        steps.append(f"Fortæl om hjælpen, og tilbyd at ringe sammen til {place} nu.")
    elif s.vil_hjaelp == "ved_ikke":
        steps.append(f"Spørg {who}, om han eller hun vil have hjælp, og fortæl om kommunens tilbud.")
    else:
        steps.append(
            f"Respektér svaret, og pres ikke. Giv {who} information om tilbuddene, "
            "så vejen er kort, hvis svaret ændrer sig. Aftal en ny snak."
        )
    if child and s.hastegrad != "akut":
        barn = {"ung": "den unge", "barn_af_foraelder": "barnet"}.get(s.hvem, "børnene i hjemmet")
        steps.append(
            f"Vurder sammen med din leder, om {barn} kan have brug for særlig støtte. "
            f"Hvis ja, skal du underrette {familie}. Pligten er din egen."
        )
        if s.vil_hjaelp == "nej":
            steps.append("Et nej til hjælp fjerner ikke din underretningspligt.")
    if s.hvem == "voksen" and s.boern == "ved_ikke":
        steps.append("Spørg ind til, om der er børn i familien. Er der det, så tænk på underretningspligten.")
    if s.alkohol and s.hvem != "ung":
        steps.append(
            "Drikker personen hver dag, om morgenen, eller ryster hænderne om morgenen? "
            "Så må personen ikke stoppe brat, for abstinenser kan give kramper. "
            f"Hjælp personen med at kontakte en læge eller {rc} samme dag."
        )
    if s.hvem == "barn_af_foraelder":
        steps.append("Fortæl forælderen om kommunens tilbud til børn, der vokser op med alkohol eller stoffer.")
    steps.append("Følg op: aftal, hvornår I taler sammen igen, og skriv ned, hvad I aftalte.")
    return steps


def _contacts(s: Situation, k: Kommune | None) -> list[Kontakt]:
    out: list[Kontakt] = []
    if s.hastegrad == "akut":
        out.append(Kontakt("Alarmcentralen", "112", "Ved fare for liv eller helbred."))
    if k is None:
        return out
    if s.barn_involveret:
        bf = k.boernefamilie
        out.append(
            Kontakt(
                bf.navn, bf.telefon, f"Underretning og sparring om børn. Uden for åbningstid: {bf.uden_for_aabningstid}"
            )
        )
    rc = k.rusmiddelcenter
    if s.hvem != "ung":
        out.append(Kontakt(rc.navn, rc.telefon, f"{rc.adresse}. {rc.email}. Åbent: {'; '.join(rc.aabningstider)}."))
    types = []
    if s.hvem == "ung" or s.hvem == "barn_af_foraelder":
        types.append("boern_unge")
    if s.hvem != "ung":
        if s.alkohol:
            types.append("alkoholbehandling")
        if s.stoffer:
            types.append("stofbehandling")
        if s.vil_hjaelp != "ja":
            types.append("anonym_raadgivning")
        if s.barn_involveret:
            types.append("paaroerende")  # the other parent or partner can get help too
    for type_ in types:
        for t in k.tilbud_af_type(type_):
            out.append(Kontakt(t.navn, "", f"{t.beskrivelse} {t.kontakt}"))
    return out


def rules(s: Situation) -> list[Regel]:
    keys = []
    if s.hvem != "ung":
        if s.alkohol:
            keys.append("141")
        if s.stoffer:
            keys += ["142", "101"]  # § 142 is drug treatment only, never alcohol alone
    elif s.stoffer:
        keys.append("bl33")
    if s.barn_involveret or (s.hvem == "voksen" and s.boern == "ved_ikke"):
        keys.append("bl133")
    keys.append("tavshed")
    return [RULES[key] for key in keys]


def guide(answers: dict | Situation, kommune: Kommune | None) -> Vejledning:
    """What to do now, whom to contact and which rules apply, for one situation.

    With ``kommune=None`` (kommune.yml could not be read) the steps name no
    local places and only 112 is listed as a contact.
    """
    s = answers if isinstance(answers, Situation) else situation(answers)
    return Vejledning(
        nu=tuple(_steps(s, kommune)),
        kontakter=tuple(_contacts(s, kommune)),
        regler=tuple(rules(s)),
        underretning=s.barn_involveret,
    )


def all_situations() -> list[Situation]:
    """Every distinct situation the questions can describe (for tests and authors)."""
    out = []
    for hvem in HVEM:
        for rusmiddel in RUSMIDDEL:
            for hast in HASTEGRAD:
                for vil in VIL_HJAELP:
                    for boern in BOERN if hvem == "voksen" else ("ved_ikke",):
                        out.append(Situation(hvem, rusmiddel, hast, vil, boern))
    return out
