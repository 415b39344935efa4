"""Import the staff list from the dashboard (upload a file), with Danish messages for the consultant.

Same rules as ``rusfokus staff import``: strict by default (any invalid row →
nothing imported, every problem listed with its line), or skip invalid rows.
"""

from __future__ import annotations

import html
import tempfile
from pathlib import Path

import ipywidgets as widgets

from .roster import RosterError, read_roster
from .staff import ImportRefused, import_roster

SUFFIXES = (".csv", ".txt", ".xlsx")
MAX_MB = 20
MAX_BYTES = MAX_MB * 1024 * 1024
"""The largest staff list the dashboard imports; the page says so and a bigger file gets that reason."""
WEBSOCKET_MAX_MESSAGE_BYTES = 32 * 1024 * 1024
"""The file travels from the browser to the kernel as one websocket message. Tornado's default limit is
10 MiB, above which the message is dropped and the page only says "Vælg først en fil". The server allows
this much (well above ``MAX_BYTES``) on a signed-in admin's kernel channels only, so a file that is too big
reaches ``import_upload`` and is refused with the real reason; everyone else keeps Tornado's 10 MiB."""
TOO_BIG = f"Filen er for stor. Den må højst fylde {MAX_MB} MB. Gem listen uden ekstra ark eller billeder, og prøv igen."


def import_upload(db_url: str, filename: str, content: bytes, *, skip_invalid: bool, actor: str) -> tuple[bool, str]:
    """Import an uploaded file. Returns (imported, Danish HTML message)."""
    from rusfokus.db import session_scope

    suffix = Path(filename).suffix.lower()
    if suffix not in SUFFIXES:
        return False, '<p class="rf-udloebet" role="alert">Vælg en CSV- eller Excel-fil (.csv eller .xlsx).</p>'
    if len(content) > MAX_BYTES:
        return False, f'<p class="rf-udloebet" role="alert">{TOO_BIG}</p>'
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"medarbejderliste{suffix}"
        path.write_bytes(content)
        try:
            roster = read_roster(path)
        except RosterError as exc:
            return False, f'<p class="rf-udloebet" role="alert">{html.escape(exc.da)}</p>'
    problems = "".join(f"<li>Linje {p.line}: {html.escape(p.reason_da)}</li>" for p in roster.problems)
    if roster.problems and not skip_invalid:
        return False, (f'<p class="rf-udloebet" role="alert">{len(roster.problems)} rækker har fejl, så intet er '
                       "importeret. Ret rækkerne i filen, eller vælg at springe dem over.</p>"
                       f"<ul>{problems}</ul>")
    try:
        with session_scope(db_url) as session:
            result = import_roster(session, roster, skip_invalid=skip_invalid, actor=actor,
                                   source=Path(filename).name[:150])
    except ImportRefused:
        return False, '<p class="rf-udloebet" role="alert">Filen har ingen gyldige rækker. Intet er importeret.</p>'
    text = (f"{len(roster.rows)} medarbejdere importeret: {result.created} nye, {result.updated} opdaterede, "
            f"{result.unchanged} uændrede, {result.reactivated} tilbage igen, {result.left} markeret som fratrådt.")
    skipped = (f"<p>{len(roster.problems)} rækker med fejl blev sprunget over:</p><ul>{problems}</ul>"
               if roster.problems else "")
    return True, f'<p class="rf-gyldig" role="status">{html.escape(text)}</p>{skipped}'


class RosterUpload(widgets.VBox):
    def __init__(self, db_url: str, actor: str, on_done=None):
        self.db_url, self.actor, self.on_done = db_url, actor, on_done
        self.file = widgets.FileUpload(accept=",".join(SUFFIXES), multiple=False,
                                       description="Vælg fil", tooltip="Vælg medarbejderliste (.csv eller .xlsx)")
        self.skip = widgets.Checkbox(value=False, description="Spring rækker med fejl over", indent=False)
        self.button = widgets.Button(description="Importér", tooltip="Importér medarbejderlisten")
        self.result = widgets.HTML()
        self.button.on_click(self._import)
        intro = widgets.HTML(
            "<h2>Importér medarbejderliste</h2><p class=\"rf-note\">Brug den liste, HR sender (CSV eller Excel). "
            "Medarbejdere, der ikke længere står på listen, bliver markeret som fratrådt. "
            f"Deres historik bliver gemt. Filen må højst fylde {MAX_MB} MB.</p>")
        super().__init__([intro, widgets.HBox([self.file, self.skip]), self.button, self.result])

    def _import(self, _button=None) -> None:
        if not self.file.value:
            # also what the page sees when a file was chosen but never arrived (too big for the connection)
            self.result.value = ('<p class="rf-udloebet" role="alert">Vælg først en fil. Har du valgt en fil, '
                                 f"er den måske for stor. Den må højst fylde {MAX_MB} MB.</p>")
            return
        upload = self.file.value[0]
        if upload.get("size", 0) > MAX_BYTES:
            self.result.value = f'<p class="rf-udloebet" role="alert">{TOO_BIG}</p>'
            return
        ok, message = import_upload(self.db_url, upload["name"], bytes(upload["content"]),
                                    skip_invalid=self.skip.value, actor=self.actor)
        self.result.value = message
        if ok and self.on_done:
            self.on_done()
