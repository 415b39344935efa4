"""Read a staff list (medarbejderliste) as HR sends it: Danish Excel CSV or .xlsx.

Pure parsing, no database: ``read_roster(path)`` returns the valid rows and
every problem with its file line number. CSV quirks handled: cp1252 or UTF-8
(with or without BOM), ``;`` or ``,`` separators, quoted fields with embedded
separators or line breaks, CRLF line ends, blank rows, trailing empty columns.
Columns are found by their Danish headers in any case and spelling variant.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from rusfokus.identity.tokens import normalise_email

NOT_GIVEN = "Ikke angivet"
HEADER_SEARCH_ROWS = 10  # HR exports often put a title line or two above the header row

# Normalised header → field. Normalising lower-cases, folds æøå and drops
# everything but letters and digits ("E-mail" → "email", "Nøgleperson (Ja/Nej)" → "noeglepersonjanej").
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("navn", "fuldtnavn", "medarbejder", "medarbejdernavn", "name"),
    "first_name": ("fornavn", "fornavne"),
    "last_name": ("efternavn",),
    "email": ("email", "emailadresse", "mail", "mailadresse", "arbejdsmail", "emailarbejde"),
    "institution": ("arbejdssted", "institution", "institutionnavn", "arbejdsplads", "enhed"),
    "afdeling": ("afdeling", "afdelingsnavn"),
    "forvaltning": ("forvaltning", "direktoeromraade", "omraade"),
    "faggruppe": ("stilling", "faggruppe", "stillingsbetegnelse", "jobfunktion", "profession"),
    "noegleperson": ("noegleperson", "noeglepersonjanej", "noeglepersonx"),
}

MAX_LENGTH = {
    "name": 200,
    "email": 320,
    "institution": 200,
    "afdeling": 200,
    "forvaltning": 200,
    "faggruppe": 200,
    "noegleperson": 20,
}
"""Longest value per field (the database columns' sizes); a longer cell is a problem naming row and field."""
FIELD_LABELS = {
    "name": ("Navn", "navn"),
    "first_name": ("Fornavn", "fornavn"),
    "last_name": ("Efternavn", "efternavn"),
    "email": ("E-mail", "e-mail"),
    "institution": ("Arbejdssted", "arbejdssted"),
    "afdeling": ("Afdeling", "afdeling"),
    "forvaltning": ("Forvaltning", "forvaltning"),
    "faggruppe": ("Stilling", "stilling"),
    "noegleperson": ("Nøgleperson", "nøgleperson"),
}
CSV_FIELD_LIMIT = 64 * 1024 * 1024
"""Python's csv module stops at 131,072 characters per field with an exception; this lifts it (process-wide,
once) above any file we accept, so an overlong cell becomes a row problem naming its field instead."""

_BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def bad_characters(text: str) -> bool:
    """True if ``text`` holds NUL or another control character (or a bidi override that reorders text)."""
    return any(unicodedata.category(ch) in ("Cc", "Cs", "Co") or ch in _BIDI_CONTROLS for ch in text)


def text_problem(value: str, max_length: int) -> tuple[str, str] | None:
    """(English, Danish) reason if ``value`` is too long or holds control characters; None if fine."""
    if len(value) > max_length:
        return (
            f"is {len(value)} characters long (at most {max_length})",
            f"er {len(value)} tegn lang (højst {max_length})",
        )
    if bad_characters(value):
        return ("contains a control character (e.g. NUL)", "indeholder et kontroltegn, som ikke må stå i teksten")
    return None


YES = {"ja", "j", "x", "yes", "y", "1", "sand"}
NO = {"nej", "n", "", "no", "0", "falsk"}
EMAIL_RE = re.compile(r"^[^@\s;,<>\"']+@[^@\s;,<>\"']+\.[A-Za-z]{2,}$")


class RosterError(ValueError):
    """The file cannot be read as a staff list at all (message in English, names the file).

    ``da`` holds the same in Danish for the dashboard's upload."""

    def __init__(self, message: str, da: str = "Filen kan ikke læses som en medarbejderliste."):
        super().__init__(message)
        self.da = da


@dataclass
class RosterRow:
    line: int
    email: str
    name: str
    institution: str
    afdeling: str
    forvaltning: str
    faggruppe: str
    noegleperson: bool


@dataclass
class Problem:
    line: int
    reason: str
    email: str = ""  # a well-formed e-mail of the invalid row, if any (so it is not marked fratrådt)
    reason_da: str = ""

    def format(self, filename: str) -> str:
        return f"{filename}:{self.line}: {self.reason}"


@dataclass
class Roster:
    rows: list[RosterRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)  # field → header as written


def normalise_header(text: str) -> str:
    text = str(text or "").strip().lower()
    text = text.replace("æ", "ae").replace("ø", "oe").replace("å", "aa")
    text = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in text if ch.isalnum() and ch.isascii())


def _clean(value) -> str:
    if value is None:
        return ""
    return " ".join(str(value).split())


def decode_bytes(data: bytes) -> str:
    """UTF-8 (BOM or not) if it decodes, else cp1252 (what Danish Excel writes by default)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _sniff_delimiter(text: str) -> str:
    first = "\n".join([ln for ln in text.splitlines() if ln.strip()][:HEADER_SEARCH_ROWS])
    counts = {}
    for sep in (";", ",", "\t"):
        inside = False
        n = 0
        for ch in first:
            if ch == '"':
                inside = not inside
            elif ch == sep and not inside:
                n += 1
        counts[sep] = n
    best = max(counts, key=counts.get)
    return best if counts[best] else ";"


def _csv_rows(text: str):
    """Yield (line number where the record starts, cells). Honours Excel's ``sep=;`` first line."""
    line = 1
    first, _, rest = text.partition("\n")
    if first.strip().lower().startswith("sep=") and len(first.strip()) == 5:
        delimiter, text, line = first.strip()[4], rest, 2
    else:
        delimiter = _sniff_delimiter(text)
    if csv.field_size_limit() < CSV_FIELD_LIMIT:
        csv.field_size_limit(CSV_FIELD_LIMIT)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    start = line - 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise RosterError(
                f"line {line}: cannot read the CSV ({exc}); nothing imported",
                f"Linje {line} kan ikke læses som CSV. Intet er importeret.",
            ) from None
        yield line, cells
        line = start + reader.line_num + 1


def _xlsx_rows(path: Path):
    # lazy: loads openpyxl (~0.4 s); needed only here
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # zip/XML errors of a broken file
        raise RosterError(
            f"{path}: cannot read as .xlsx ({exc.__class__.__name__}: {exc})",
            "Filen kan ikke åbnes som Excel-fil (.xlsx). Gem den igen i Excel.",
        ) from exc
    try:
        ws = wb.worksheets[0]
        for number, cells in enumerate(ws.iter_rows(values_only=True), start=1):
            yield number, ["" if c is None else str(c) for c in cells]
    finally:
        wb.close()


def _map_columns(header: list[str], filename: str) -> dict[str, int]:
    lookup = {alias: fld for fld, aliases in HEADER_ALIASES.items() for alias in aliases}
    found: dict[str, int] = {}
    for index, text in enumerate(header):
        norm = normalise_header(text)
        fld = lookup.get(norm)
        if fld is None and norm.startswith("noegleperson"):
            fld = "noegleperson"
        if fld and fld not in found:
            found[fld] = index
    has_name = "name" in found or "first_name" in found
    missing = [
        label for fld, label in (("email", "E-mail"), ("institution", "Arbejdssted/Institution")) if fld not in found
    ]
    if not has_name:
        missing.insert(0, "Navn")
    if missing:
        shown = ", ".join(repr(str(h)[:60]) for h in header if str(h).strip())[:600] or "(none)"
        raise RosterError(
            f"{filename}: missing column(s) {', '.join(missing)}. Headers found: {shown}. "
            "Expected Danish headers such as Navn, E-mail, Arbejdssted, Afdeling, Forvaltning, Stilling, Nøgleperson.",
            f"Filen mangler kolonnen {' og '.join(missing)}. Første række skal have overskrifter som "
            "Navn, E-mail, Arbejdssted, Afdeling, Forvaltning, Stilling og Nøgleperson.",
        )
    return found


def parse_rows(rows, filename: str) -> Roster:
    """Validate rows (an iterable of (line, cells), the first non-blank one being the header)."""
    roster = Roster()
    columns: dict[str, int] | None = None
    seen: dict[str, int] = {}
    header_error: RosterError | None = None
    tried = 0
    for line, cells in rows:
        if not any(_clean(c) for c in cells):
            continue  # blank row (also ';;;;' rows Excel leaves behind)
        if columns is None:
            tried += 1
            try:
                columns = _map_columns(cells, filename)
            except RosterError as exc:  # a title line above the header? look a few rows further
                header_error = header_error or exc
                if tried >= HEADER_SEARCH_ROWS:
                    raise header_error from None
                continue
            roster.columns = {f: _clean(cells[i]) for f, i in columns.items()}
            continue

        def get(fld: str, cells=cells, columns=columns) -> str:
            i = columns.get(fld)
            return _clean(cells[i]) if i is not None and i < len(cells) else ""

        reasons, da = [], []
        overlong = set()
        for fld in columns:
            why = text_problem(get(fld), MAX_LENGTH.get(fld, 200))
            if why is not None:
                overlong.add(fld)
                label, label_da = FIELD_LABELS.get(fld, (fld, fld))
                reasons.append(f"{label} {why[0]}")
                da.append(f"{label_da} {why[1]}")
        if overlong:  # the other checks would only repeat (and echo) the bad value
            email = "" if "email" in overlong else normalise_email(get("email"))
            roster.problems.append(
                Problem(line, "; ".join(reasons), email if EMAIL_RE.match(email) else "", "; ".join(da))
            )
            continue
        name = get("name") or " ".join(p for p in (get("first_name"), get("last_name")) if p)
        if len(name) > MAX_LENGTH["name"]:
            roster.problems.append(
                Problem(
                    line,
                    f"Navn {text_problem(name, MAX_LENGTH['name'])[0]}",
                    "",
                    f"navn {text_problem(name, MAX_LENGTH['name'])[1]}",
                )
            )
            continue
        email = normalise_email(get("email"))
        if not name:
            reasons.append("name (Navn) is empty")
            da.append("navn mangler")
        if not email:
            reasons.append("e-mail is empty")
            da.append("e-mail mangler")
        elif not EMAIL_RE.match(email):
            reasons.append(f"invalid e-mail {email!r}")
            da.append(f"ugyldig e-mail '{email}'")
        institution = get("institution")
        if not institution:
            reasons.append("workplace (Arbejdssted/Institution) is empty")
            da.append("arbejdssted mangler")
        flag_raw = get("noegleperson")
        flag = flag_raw.lower()
        if flag not in YES and flag not in NO:
            reasons.append(f"Nøgleperson must be Ja, Nej, x or blank, not {flag_raw!r}")
            da.append(f"Nøgleperson skal være Ja, Nej, x eller tom, ikke '{flag_raw}'")
        valid_email = email if email and EMAIL_RE.match(email) else ""
        if valid_email and valid_email in seen:
            reasons.append(f"duplicate e-mail {email!r} (first on line {seen[valid_email]})")
            da.append(f"e-mailen står også på linje {seen[valid_email]}")
        if reasons:
            roster.problems.append(Problem(line, "; ".join(reasons), valid_email, "; ".join(da)))
            continue
        seen[email] = line
        roster.rows.append(
            RosterRow(
                line=line,
                email=email,
                name=name,
                institution=institution,
                afdeling=get("afdeling") or NOT_GIVEN,
                forvaltning=get("forvaltning") or NOT_GIVEN,
                faggruppe=get("faggruppe") or NOT_GIVEN,
                noegleperson=flag in YES,
            )
        )
    if columns is None:
        raise header_error or RosterError(f"{filename}: the file is empty (no header row found)", "Filen er tom.")
    return roster


def read_roster(path: str | Path) -> Roster:
    """Read and validate a staff list (.csv/.txt or .xlsx)."""
    path = Path(path)
    if not path.is_file():
        raise RosterError(f"{path}: file not found")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return parse_rows(_xlsx_rows(path), path.name)
    if path.suffix.lower() == ".xls":
        raise RosterError(
            f"{path}: old .xls format is not supported; save it as .xlsx or CSV in Excel",
            "Det gamle .xls-format kan ikke læses. Gem filen som .xlsx eller CSV i Excel.",
        )
    data = path.read_bytes()
    if data.startswith(b"PK\x03\x04"):
        return parse_rows(_xlsx_rows(path), path.name)
    return parse_rows(_csv_rows(decode_bytes(data)), path.name)
