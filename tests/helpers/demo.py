"""The fictional demo staff in a running server's database, as an operator loads it (CLI only)."""

from __future__ import annotations

from helpers.server import Server

EVIL = "<script>window.__pwned=1</script>"
PASSWORD = "demo-kodeord-123"


def load_demo_staff(srv: Server, staff: int = 120) -> None:
    """`rusfokus demo load`, then the same staff list as an HR file with one extra person whose name and
    workplace hold a <script> tag (imported: names must be shown as text everywhere), and the admin user
    'konsulent' with PASSWORD."""
    srv.rusfokus("demo", "load", "--staff", str(staff))
    roster = srv.home / "hr.csv"
    srv.rusfokus("demo", "load", "--staff", str(staff), "--write-csv", str(roster))
    with roster.open("ab") as fh:
        fh.write(
            f"Bo {EVIL};bo.evil@eksempel-kommune.example;Skole {EVIL};Skoler;Børn og Unge;Lærer;Ja\r\n".encode("cp1252")
        )
    out = srv.rusfokus("staff", "import", str(roster))
    assert "1 created" in out.stdout and "0 marked fratrådt" in out.stdout, out.stdout
    srv.rusfokus("admin", "set-password", "konsulent", "--password-stdin", input=PASSWORD + "\n")
