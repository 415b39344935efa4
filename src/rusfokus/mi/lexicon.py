"""Danish cue lexicons for the rule-based MI coder (``rusfokus.mi.coder``).

Each list holds regular expressions matched against the lower-cased
utterance. They are data for the coder, kept apart so that a reviewer can
read what the coder reacts to without reading the rules.
"""

from __future__ import annotations

# Asking permission: always autonomy support, also when it ends in "?".
PERMISSION = [
    r"\bmå jeg\b",
    r"\ber det (i orden|okay|ok|i orden med dig)\b",
    r"\bvil (du|i) (gerne )?(høre|vide)\b",
    r"\bhar (du|i) lyst til at høre\b",
    r"\bhvis (du|i) (har lyst|vil|er interesseret|er interesserede)\b",
    r"\bdu må gerne sige nej\b",
    r"\bdet er (helt )?frivilligt\b",
]

# Stressing the person's own choice and control.
CHOICE = [
    r"\b(dit|jeres) (eget )?valg\b",
    r"\b(din|jeres) (egen )?beslutning\b",
    r"\bop til (dig|jer)\b",
    r"\b(du|i) bestemmer\b",
    r"\bbestemmer (du|i) selv\b",
    r"\b(dig|jer), der bestemmer\b",
    r"\b(du|i) (ved|kender) (selv )?(bedst|dig selv bedst|jer selv bedst)\b",
    r"\b(du|i|dig|jer),? (der )?kender (\w+ ){1,2}bedst\b",
    r"\bkender (dig selv|jer selv|din familie|jeres familie) bedst\b",
    r"\bselv (vælge|vurdere|bestemme)\b",
    r"\b(det er|er jo) dit (eget )?liv\b",
    r"\bikke her for at bestemme\b",
    r"\bkender (dit|jeres) (eget )?liv\b",
    r"\b(du|i) har ret i\b",
]

# Advice, warning, persuasion or confrontation (without permission).
DIRECTIVE = [
    # not after a question word: "hvordan du skal gøre" reports, it does not direct
    (
        r"(?<!hvordan )(?<!hvad )(?<!hvornår )(?<!hvorfor )(?<!om )(?<!hvor )"
        r"\b(du|i|han|hun|man|børn|unge)\s+(skal|bør|burde|må(?!\s+gerne))\s+\w+"
    ),
    r"\b(skal|bør|burde)\s+(du|i|han|hun|man)\s+\w+",
    r"\bmå (du|i|han|hun)(?!\s+gerne)\b",
    r"\bbliver (du|i|vi) nødt til\b",
    r"\bnødt til\b",
    r"\bmå hellere\b",
    r"\bskulle (du|i) have\b",
    r"\bjeg synes,? (du|i)\b",
]
WARNING = [
    r"[,.]\s*ellers\b",
    r"\brisikere[r]?\b",
    r"\bkan miste\b",
    r"\bødelægge[r]?\b",
    r"\bfarlig[t]?\b",
    r"\bulovligt?\b",
    r"\bværre\b",
    r"\bgår det ikke\b",
    r"\bsmidt ud\b",
    r"\bingen eksamen\b",
    r"\bhvis (du|i) ikke (stopper|holder|gør|tager|samarbejder|kommer|møder|skærer|lader|passer|søger)\b",
    r"\bkan (skade|ende|falde tilbage|gå galt|miste)\b",
    r"\bnår som helst\b",
    r"\bbliver (det )?kun værre\b",
    r"\bfor dit eget bedste\b",
]
PERSUADE = [
    r"\bikke (en|nogen) løsning\b",
    r"\bikke harmløs[t]?\b",
    r"\bikke rigtige\b",
    r"\bdet ved du godt\b",
    r"\btag dig sammen\b",
    r"\bsig (da )?bare\b",
    r"\blad (nu )?være\b",
    r"\bhold(e)? op\b",
    r"\bstop(pe)? med\b",
    r"\bikke normalt\b",
    r"\bnytter ikke\b",
    r"\ber (du|i) klar over\b",
    r"\bhar (du|i) (ikke )?tænkt på\b",
    r"\bhvorfor\b.*\bikke bare\b",
    r"\bhvorfor (prøver|stopper|går|ringer|tager|holder|søger) (du|i) ikke\b",
    r"^hvad med at (du|i)\b",
    r"\bkunne (du|i) ikke (bare |prøve )?\w+",
    r"\bsynes (du|i) ikke selv\b",
    r"\bdet (ville være|er) bedre\b",
    r"\bdet bedste (du|i) kan\b",
    r"\blærestreg\b",
    r"\b(er|drikker|drak|ryger) (stadig |altså |alt |jo )?for meget\b",
    r"\b(hun|han|de|vi|lægen|skolen|jeg) har (jo )?ret\b(?! til)",
    r"\bogså ansvarlig\b",
    r"\bkan ikke være en god\b",
    r"\bkan ikke passe\b",
    r"\bman kan ikke\b",
    r"\bmere, end man tror\b",
]
# Confrontation (MITI: Confront): righting reflex even when the person asked or said yes.
CONFRONT = [
    r"\bdet ved du godt\b",
    r"\btag dig sammen\b",
    r"\bikke (dine )?rigtige venner\b",
    r"\b(din|jeres) egen skyld\b",
    r"\bfinde (dig|jer) i\b",
    r"\b(hun|han|de|lægen|skolen) havde (jo )?ret\b",
    r"\bhar ret, (du|i)\b",
    r"\bikke (prøvet )?hårdt nok\b",
    r"\bnok ikke prøvet\b",
    r"\bdet er nu (dig|jer)\b",
    r"\bmere som\b",
    r"^nej, det\b",
    r"\bdet er stadig for meget\b",
    r"\btager fejl\b",
    r"\bdet går altid ud over\b",
    r"\bstarter det altid\b",
    r"\bikke nok\b",
    r"^man (drikker|ryger|gør|tager) ikke\b",
    r"\bdet er pushing\b",
]
# The person asked for the information or said yes to it (MITI: Giving Information / Persuade with Permission).
PERMISSION_GIVEN = [
    r"\b(du|i) sagde ja\b",
    r"\b(du|i) sagde,? (at )?jeg (gerne )?måtte\b",
    r"\btak,? (fordi|for at) jeg måtte\b",
    r"\b(du|i) må gerne høre\b",
    r"^(du|i) (spørger|spurgte)\b(?! (dig|jer) selv)",
    r"\bnu (du|i) spørger\b",
    r"\bgodt,? (at )?(du|i) spørger\b",
    r"\bgodt spørgsmål\b",
    r"\bsom (du|i) bad om\b",
    r"\bså jeg svarer\b",
]
# Information: facts, rules, services, where help is; neutral reassurance a child is given (module 2).
INFO = [
    r"\bsundhedsstyrelsen\b",
    r"\banbefale[rt]?\b",
    r"\bråder\b",
    r"\bgenstande\b",
    r"\bgratis\b",
    r"\banonym\b",
    r"\brusmiddelcent\w*",
    r"\b(læge|lægen|jordemoderen|sundhedsplejersken)\b",
    r"\b112\b",
    r"\b(tilbud|rådgivning|behandlingssted)\w*",
    r"\bder findes\b",
    r"\b(vi|skolen|kommunen) (skal|har|kan|inviterer|følger|lukker|taler|ringer)\b",
    r"\bvi har en regel\b",
    r"\bman (kan|behøver|kender)\b",
    r"\bmange (voksne|unge|forældre|får|drikker)\b",
    r"\bikke (din|jeres) (skyld|opgave)\b",
    r"\bde voksnes (opgave|ansvar)\b",
    r"\bstrafbart\b",
    r"\bkan (være|give) (farligt|kramper|abstinenser)\b",
    r"\bkan være abstinenser\b",
    r"\b(kan|skal) (du|i) (ringe|gå|bede|tale|få|være)\b",
    r"\bjeg kan finde\b",
    r"\bkan ofte\b",
]

# Imperatives that give advice when they open a sentence ("Prøv at ...").
ADVICE_IMPERATIVES = {
    "prøv",
    "sig",
    "stop",
    "hold",
    "tag",
    "ring",
    "gå",
    "drik",
    "husk",
    "tænk",
    "giv",
    "lad",
    "find",
    "spis",
    "sov",
    "skær",
    "undgå",
    "søg",
    "kontakt",
    "ryg",
}

# Requests for telling: open questions even without a question mark.
TELL_OPENERS = [
    r"^fortæl\b",
    r"^beskriv\b",
    r"^prøv at (fortælle|beskrive)\b",
    r"^(kan|vil|gider) (du|i) (ikke )?(fortælle|beskrive|sige lidt|sige noget)\b",
]
OPEN_QUESTION_WORDS = {"hvad", "hvordan", "hvorfor", "hvilke", "hvilken", "hvilket", "hvorledes"}
# Question words asking for a number, a time, a person or a place: closed.
CLOSED_QUESTION_STARTS = [
    r"^hvor (mange|meget|tit|ofte|længe|gammel|gamle|langt)\b",
    r"^hvornår\b",
    r"^hvem\b",
    r"^hvor\b",
]

# Checking back after a summary ("Har jeg forstået det rigtigt?").
CHECK_BACK = [
    r"\bhar jeg (forstået|fanget|hørt)\b",
    r"\ber det (rigtigt|sådan|rigtig)\b",
    r"\blyder det rigtigt\b",
    r"\bmangler jeg noget\b",
    r"\ber der (mere|noget)\b",
    r"\bhar jeg overset\b",
    r"\bvil tilføje\b",
]
SUMMARY_OPENERS = [
    r"\bsamle op\b",
    r"\bopsummere\b",
    r"\bsammenfatte\b",
    r"\blad mig se,? om jeg har forstået\b",
    r"\bindtil nu har (du|i)\b",
    r"\b(du|i) har (fortalt|nævnt|sagt)\b",
    r"\bhvis jeg (har forstået|forstår) dig\b",
    r"\bhvis jeg har forstået\b",
]

# Recognising strengths, effort and values.
AFFIRM = [
    r"\bmodig[t]?\b",
    r"\b(kræver|har) mod(et)?\b",
    r"\bkræver (ærlighed|styrke|kræfter|meget)\b",
    r"\bmodet til\b",
    r"\bflot\b",
    r"\b(er|det er) stærk[t]?\b",
    r"\bgodt gået\b",
    r"\bpræstation\b",
    r"\bkæmpe[rt]?\b",
    r"\bærlig\b",
    r"\brespekt\b",
    r"\bpris på\b",
    r"\bsiger (det|tingene),? som (det|de) er\b",
    r"\bsiger det lige ud\b",
    r"\bdet er godt, at\b",
    r"\ber god til\b",
    r"\bdet viser\b",
    r"\bholdt fast\b",
    r"\btage[rt]? ansvar\b",
    r"\btaget ansvar\b",
    r"\bgør (alt|meget|en stor)\b",
    r"\bloyal\b",
    r"\bstår fast\b",
    r"\bser klart\b",
    r"\bholder godt øje\b",
    r"\bsørger for\b",
    r"\bsøger hjælp\b",
    r"\bværd at kæmpe\b",
    r"\bhar fundet en måde\b",
    r"\bkom (i dag|alligevel)\b",
    r"\bhar (allerede |virkelig |tydeligvis )?tænkt (meget|grundigt)\b",
    r"\bklart mål\b",
    r"\bvigtigt sted at starte\b",
    r"\bdu ved godt, hvad du har brug for\b",
    r"\bet tæt forhold\b",
    r"\bmærker godt efter\b",
    r"\bomsorg\b",
    r"\bærlig[t]?\b",
    r"\bklog[t]?\b",
    r"\btydelig[t]?\b",
    r"\bstærk beslutning\b",
    r"\ben god (ven|veninde|mor|far|forælder|storesøster|storebror|kollega)\b",
    r"\btager (det|dig selv|dem|hende|ham) alvorligt\b",
    r"\b(tænker|tænkte) (selv )?(over|på) (tingene|den|det|børnene|dem|hende|ham|barnet)\b",
    r"\b(lytter|lyttede) til\b",
    r"\barbejdet hårdt\b",
    r"\bkender dig selv\b",
    r"\bklaret dig\b",
    r"\bholder (selv )?øje med\b",
    r"\bblevet ved med at prøve\b",
    r"\bikke (har )?givet op\b",
    r"\bdet tæller\b",
    r"\bvil (det her|jeres familie)\b",
]

# Words that add feeling, meaning or both sides: signs of a complex reflection
# when the person did not say them.
FEELINGS = [
    "bange",
    "bekymr",
    "skuffe",
    "stolt",
    "magtesløs",
    "ensom",
    "vred",
    "presse",
    "ked af",
    "flov",
    "skyld",
    "dømt",
    "frustrer",
    "savne",
    "ønske",
    "tvivl",
    "alene",
    "uretfærdig",
    "fanget",
    "udmattet",
    "håb",
    "ærgre",
    "irriter",
    "skam",
    "usikker",
    "bebrejd",
    "ondt",
    "sårbar",
    "nervøs",
    "glad",
    "angst",
    "tryg",
    "træt af",
    "føle",
    "uoverskuelig",
    "overleve",
]
MEANING = [
    "betyder",
    "vigtig",
    "handler om",
    "fordi",
    "din måde",
    "prisen",
    "pris",
    "som om",
    "føles",
    "mærker",
    "frirum",
    "langt væk",
    "hverdagen",
    "mening",
    "værd",
    "regler",
    "beslutte",
    "klar til",
    "første skridt",
    "tænkt over",
]
TWO_SIDED = [
    "på den ene side",
    "på den anden side",
    "samtidig",
    "alligevel",
    "selv om",
    "både",
    ", men",
    " men ",
]

STOPWORDS = set(
    """
    og i jeg det at en den til er som på de med han af for ikke der var mig sig men et har om vi min
    havde ham hun nu over da fra du ud sin dem os op man hans hvor eller hvad skal selv her alle vil blev
    kunne ind når være dog noget ville jo deres efter ned skulle denne end dette mit også under have dig
    anden hende mine alt meget sit sine vor mod disse hvis din nogle hos blive mange ad bliver hendes
    været thi jer sådan så bare lidt helt godt jo da rigtig lige mere så
    """.split()
)
