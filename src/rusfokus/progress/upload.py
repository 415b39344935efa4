"""Import the staff list from the dashboard (upload a file), with Danish messages for the consultant.

Same rules as ``rusfokus staff import``: strict by default (any invalid row →
nothing imported, every problem listed with its line), or skip invalid rows.
The widget first shows what the import would do ("X nye, Y ændrede, Z markeres
fratrådt", nothing written) and imports only when the consultant confirms;
"Kun tilføj og opdater" imports a partial list and marks nobody fratrådt.
"""

from __future__ import annotations

import html
import tempfile
from pathlib import Path

import ipywidgets as widgets
from sqlalchemy import select

from rusfokus.db import session_scope
from rusfokus.progress.models import Person
from rusfokus.progress.roster import RosterError, read_roster
from rusfokus.progress.staff import ImportRefused, import_roster, preview_import

SUFFIXES = (".csv", ".txt", ".xlsx")
MAX_MB = 20
MAX_BYTES = MAX_MB * 1024 * 1024
"""The largest staff list the dashboard imports; the page says so and a bigger file gets that reason."""
WEBSOCKET_MAX_MESSAGE_BYTES = 32 * 1024 * 1024
"""The file travels from the browser to the kernel as one websocket message. Tornado's default limit is
10 MiB, above which the message is dropped and the page only says "Vælg først en fil". The server allows
this much (well above ``MAX_BYTES``) on a signed-in admin's kernel channels only, so a file that is too big
reaches ``import_upload`` and is refused with the real reason; everyone else keeps Tornado's 10 MiB."""
LIST_MAX = 50
"""The preview names at most this many of the people who would be marked fratrådt."""
TOO_BIG = f"Filen er for stor. Den må højst fylde {MAX_MB} MB. Gem listen uden ekstra ark eller billeder, og prøv igen."


def _alert(text: str) -> str:
    return f'<p class="rf-udloebet" role="alert">{text}</p>'


def read_upload(filename: str, content: bytes, *, skip_invalid: bool):
    """Check and parse an uploaded file. Returns (roster, "") or (None, Danish HTML message)."""
    suffix = Path(filename).suffix.lower()
    if suffix not in SUFFIXES:
        return None, _alert("Vælg en CSV- eller Excel-fil (.csv eller .xlsx).")
    if len(content) > MAX_BYTES:
        return None, _alert(TOO_BIG)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"medarbejderliste{suffix}"
        path.write_bytes(content)
        try:
            roster = read_roster(path)
        except RosterError as exc:
            return None, _alert(html.escape(exc.da))
    if roster.problems and not skip_invalid:
        return None, (
            _alert(
                f"{len(roster.problems)} rækker har fejl, så intet er importeret. Ret rækkerne i "
                "filen, eller vælg at springe dem over."
            )
            + f"<ul>{_problems(roster)}</ul>"
        )
    if not roster.rows:
        return None, _alert("Filen har ingen gyldige rækker. Intet er importeret.")
    return roster, ""


def _problems(roster) -> str:
    return "".join(f"<li>Linje {p.line}: {html.escape(p.reason_da)}</li>" for p in roster.problems)


def preview_html(db_url: str, roster, *, only_add_update: bool) -> str:
    """The preview the consultant confirms: counts, and who would be marked fratrådt (names escaped)."""
    with session_scope(db_url) as session:
        preview = preview_import(session, roster, only_add_update=only_add_update)
        names = {}
        if preview.leaving:
            names = dict(
                session.execute(
                    select(Person.email, Person.name).where(Person.email.in_(preview.leaving[:LIST_MAX]))
                ).all()
            )
    out = [f'<p role="status"><strong>Hvis du importerer: {html.escape(preview.summary_da())}.</strong></p>']
    if only_add_update:
        out.append('<p class="rf-note">Kun tilføj og opdater: ingen bliver markeret som fratrådt.</p>')
    if preview.leaving:
        items = "".join(
            f"<li>{html.escape(names.get(e) or '')} ({html.escape(e)})</li>" for e in preview.leaving[:LIST_MAX]
        )
        more = f"<li>… og {len(preview.leaving) - LIST_MAX} flere</li>" if len(preview.leaving) > LIST_MAX else ""
        out.append(f"<p>Markeres som fratrådt, fordi de ikke står på listen:</p><ul>{items}{more}</ul>")
    if roster.problems:
        out.append(f"<p>{len(roster.problems)} rækker med fejl bliver sprunget over:</p><ul>{_problems(roster)}</ul>")
    out.append("<p>Intet er ændret endnu. Tryk på Importér for at gennemføre importen.</p>")
    return "".join(out)


def apply_roster(
    db_url: str,
    roster,
    filename: str,
    *,
    skip_invalid: bool,
    actor: str,
    only_add_update: bool = False,
    secret: bytes,
) -> tuple[bool, str]:
    """Write a parsed roster. Returns (imported, Danish HTML message). ``secret``: the server's (an erased
    person who is re-added has her revocation lifted)."""
    try:
        with session_scope(db_url) as session:
            result = import_roster(
                session,
                roster,
                skip_invalid=skip_invalid,
                actor=actor,
                source=Path(filename).name[:150],
                only_add_update=only_add_update,
                secret=secret,
            )
    except ImportRefused:
        return False, _alert("Filen har ingen gyldige rækker. Intet er importeret.")
    text = (
        f"{len(roster.rows)} medarbejdere importeret: {result.created} nye, {result.updated} opdaterede, "
        f"{result.unchanged} uændrede, {result.reactivated} tilbage igen, {result.left} markeret som fratrådt."
    )
    skipped = (
        f"<p>{len(roster.problems)} rækker med fejl blev sprunget over:</p><ul>{_problems(roster)}</ul>"
        if roster.problems
        else ""
    )
    return True, f'<p class="rf-gyldig" role="status">{html.escape(text)}</p>{skipped}'


def import_upload(
    db_url: str,
    filename: str,
    content: bytes,
    *,
    skip_invalid: bool,
    actor: str,
    only_add_update: bool = False,
    secret: bytes,
) -> tuple[bool, str]:
    """Import an uploaded file at once (no preview). Returns (imported, Danish HTML message)."""
    roster, message = read_upload(filename, content, skip_invalid=skip_invalid)
    if roster is None:
        return False, message
    return apply_roster(
        db_url,
        roster,
        filename,
        skip_invalid=skip_invalid,
        actor=actor,
        only_add_update=only_add_update,
        secret=secret,
    )


class RosterUpload(widgets.VBox):
    """Choose a file → "Vis ændringer" (preview, nothing written) → "Importér" (applies that preview's list)."""

    def __init__(self, db_url: str, actor: str, on_done=None, *, secret: bytes):
        """``secret``: the server's (``load_secret(settings.secret_file)``), see ``apply_roster``."""
        self.db_url, self.actor, self.on_done, self.secret = db_url, actor, on_done, secret
        self.file = widgets.FileUpload(
            accept=",".join(SUFFIXES),
            multiple=False,
            description="Vælg fil",
            tooltip="Vælg medarbejderliste (.csv eller .xlsx)",
        )
        self.skip = widgets.Checkbox(value=False, description="Spring rækker med fejl over", indent=False)
        self.only = widgets.Checkbox(
            value=False, indent=False, description="Kun tilføj og opdater (en delvis liste: ingen markeres fratrådt)"
        )
        self.button = widgets.Button(description="Vis ændringer", tooltip="Vis, hvad importen vil ændre")
        self.confirm = widgets.Button(
            description="Importér",
            button_style="primary",
            tooltip="Importér medarbejderlisten",
            layout=widgets.Layout(display="none"),
        )
        self.cancel = widgets.Button(
            description="Fortryd", tooltip="Fortryd importen", layout=widgets.Layout(display="none")
        )
        self.result = widgets.HTML()
        self._pending = None
        self.button.on_click(self._preview)
        self.confirm.on_click(self._import)
        self.cancel.on_click(self._cancel)
        for w in (self.file, self.skip, self.only):
            w.observe(self._changed, names="value")
        intro = widgets.HTML(
            '<h2>Importér medarbejderliste</h2><p class="rf-note">Brug den liste, HR sender (CSV eller Excel). '
            "Medarbejdere, der ikke længere står på listen, bliver markeret som fratrådt. "
            "Deres historik bliver gemt. Har du kun en delvis liste, så vælg Kun tilføj og opdater. "
            "Du ser ændringerne, før noget bliver gemt. "
            f"Filen må højst fylde {MAX_MB} MB.</p>"
        )
        super().__init__(
            [
                intro,
                widgets.HBox([self.file, self.skip]),
                self.only,
                widgets.HBox([self.button, self.confirm, self.cancel]),
                self.result,
            ]
        )

    def _show_confirm(self, show: bool) -> None:
        self.confirm.layout.display = self.cancel.layout.display = None if show else "none"

    def _changed(self, _change=None) -> None:
        if self._pending is not None:
            self._pending = None
            self._show_confirm(False)
            self.result.value = '<p class="rf-note">Du har ændret valget. Tryk på Vis ændringer igen.</p>'

    def _cancel(self, _button=None) -> None:
        self._pending = None
        self._show_confirm(False)
        self.result.value = '<p role="status">Importen er fortrudt. Intet er ændret.</p>'

    def _preview(self, _button=None) -> None:
        self._pending = None
        self._show_confirm(False)
        if not self.file.value:
            # also what the page sees when a file was chosen but never arrived (too big for the connection)
            self.result.value = _alert(
                f"Vælg først en fil. Har du valgt en fil, er den måske for stor. Den må højst fylde {MAX_MB} MB."
            )
            return
        upload = self.file.value[0]
        if upload.get("size", 0) > MAX_BYTES:
            self.result.value = _alert(TOO_BIG)
            return
        roster, message = read_upload(upload["name"], bytes(upload["content"]), skip_invalid=self.skip.value)
        if roster is None:
            self.result.value = message
            return
        self.result.value = preview_html(self.db_url, roster, only_add_update=self.only.value)
        self._pending = (roster, upload["name"], self.skip.value, self.only.value)
        self._show_confirm(True)

    def _import(self, _button=None) -> None:
        if self._pending is None:
            self.result.value = _alert("Tryk først på Vis ændringer.")
            return
        roster, name, skip, only = self._pending
        self._pending = None
        self._show_confirm(False)
        ok, message = apply_roster(
            self.db_url, roster, name, skip_invalid=skip, actor=self.actor, only_add_update=only, secret=self.secret
        )
        self.result.value = message
        if ok and self.on_done:
            self.on_done()
