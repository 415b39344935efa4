"""`rusfokus cluster` (`make cluster`): rusfokus as N copies behind a load balancer, on loopback (issue 19).

One command starts, in a state folder (default ``<home>/cluster``):

1. PostgreSQL 15 (Debian's binaries; ``initdb`` once, kept between runs, trust auth on 127.0.0.1 only),
   its database migrated and loaded with the fictional demo data (Eksempel Kommune) when empty;
2. JupyterHub 5.4 (configurable-http-proxy from npm) with the dummy authenticator (one shared password)
   and rusfokus registered as its OAuth service, demo users in the Hub groups rusfokus maps to roles;
3. ``copies`` copies of ``rusfokus serve`` (copy-a, copy-b, ...): each its own RUSFOKUS_COPY_NAME and home
   folder, one shared secret key (RUSFOKUS_SECRET_FILE ``<state>/secret.key``), the same database, nbgrader
   gradebook (a second PostgreSQL database) and course folder;
4. HAProxy in front of them with a sticky cookie (``RFCOPY``, ``insert indirect nocache``); its check asks
   ``/healthz?probe=live`` (is the copy alive), so a PostgreSQL outage reaches people as each copy's own 503
   naming the database state instead of HAProxy's "no server available".

It prints the address and the demo users, writes ``cluster.json`` (ports, pids, logs) in the state folder,
and stops everything on Ctrl-C (SIGINT) or SIGTERM: HAProxy, the Hub and its proxy, the copies and their
kernels (every process started, found by process tree, not by name), then PostgreSQL (``pg_ctl stop``).
Operator messages are English.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import psutil

PG_BIN = Path("/usr/lib/postgresql/15/bin")
DB_NAME = "rusfokus"
GRADEBOOK_DB_NAME = "gradebook"  # nbgrader's gradebook, shared by every copy that grades
STICKY_COOKIE = "RFCOPY"
HUB_PASSWORD = "demo-kodeord"
HUB_GROUP_ADMIN = "rusfokus-admin"
HUB_GROUP_LEARNER = "rusfokus-kursist"
HUB_GROUP_NOEGLEPERSON = "rusfokus-noegleperson"
HUB_ADMIN_USER = "konsulent"
READY_LINE = "rusfokus cluster is ready"
STOPPED_LINE = "rusfokus cluster stopped"
BANNER_END = "Ctrl-C stops everything."  # the banner's last line
STOP_SECONDS = 20  # each component's clean shutdown after SIGTERM, before SIGKILL of its process group
PG_STOP_SECONDS = 20  # PostgreSQL's fast shutdown, before an immediate one (then SIGKILL of the postmaster)


class ClusterError(Exception):
    """Something the operator must fix (a missing binary, a port in use); the message says what."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _venv_bin(name: str) -> str:
    here = Path(sys.executable).parent / name
    return str(here) if here.exists() else (shutil.which(name) or "")


def find_binaries(root: Path, with_hub: bool = True) -> dict[str, str]:
    """Every program the cluster needs, or a ClusterError listing what is missing and how to get it."""
    found = {
        "initdb": str(PG_BIN / "initdb") if (PG_BIN / "initdb").exists() else "",
        "pg_ctl": str(PG_BIN / "pg_ctl") if (PG_BIN / "pg_ctl").exists() else "",
        "haproxy": shutil.which("haproxy") or "",
    }
    hints = {
        "initdb": "Debian's postgresql 15 (/usr/lib/postgresql/15/bin; `make system-deps` installs it)",
        "pg_ctl": "Debian's postgresql 15 (/usr/lib/postgresql/15/bin; `make system-deps` installs it)",
        "haproxy": "Debian's haproxy (`make system-deps` installs it)",
    }
    if with_hub:
        chp = root / "node_modules" / ".bin" / "configurable-http-proxy"
        found["jupyterhub"] = _venv_bin("jupyterhub")
        found["configurable-http-proxy"] = str(chp) if chp.exists() else (shutil.which("configurable-http-proxy") or "")
        found["node"] = shutil.which("node") or ""
        hints["jupyterhub"] = "PyPI jupyterhub 5.4 (`make install` installs the dev dependencies)"
        hints["configurable-http-proxy"] = "npm configurable-http-proxy 5.3 (`npm ci`, run by `make assets`)"
        hints["node"] = "Node.js (Debian's nodejs) for configurable-http-proxy"
    missing = [f"{name} not found: install {hints[name]}" for name, path in found.items() if not path]
    if missing:
        raise ClusterError("cannot start the cluster:\n  " + "\n  ".join(missing))
    return found


# --- PostgreSQL ---------------------------------------------------------------------------------------------


def _as_postgres(cmd: list[str]) -> list[str]:
    """initdb and postgres refuse to run as root: run them as the postgres user then."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


@dataclass
class Postgres:
    folder: Path  # holds data/ and log; owned by the postgres user when run as root
    port: int

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def url(self) -> str:
        return self.url_of(DB_NAME)

    def url_of(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def _ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        cmd = _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data), *args])
        try:
            out = subprocess.run(
                cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL, start_new_session=True, timeout=120
            )
        except subprocess.TimeoutExpired as exc:
            if check:
                raise ClusterError(f"pg_ctl {' '.join(args[-1:])} did not answer within 120 s") from exc
            return subprocess.CompletedProcess(cmd, 1, "", "timeout")
        if check and out.returncode != 0:
            log = self.folder / "log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise ClusterError(
                f"pg_ctl {' '.join(args[-1:])} failed: {out.stderr.strip() or out.stdout.strip()}\n{tail}"
            )
        return out

    def init(self) -> bool:
        """initdb once (True when it made a new cluster)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
            if subprocess.run(_as_postgres(["test", "-w", str(self.folder)]), stdin=subprocess.DEVNULL).returncode:
                raise ClusterError(
                    f"the postgres user cannot reach {self.folder}: as root, PostgreSQL runs as the postgres user, "
                    "so every folder above the state folder must be open to it (o+x); pick another --state folder"
                )
        if (self.data / "PG_VERSION").exists():
            return False
        cmd = [str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8"]
        out = subprocess.run(
            _as_postgres([*cmd, "--locale=C.UTF-8"]), capture_output=True, text=True, stdin=subprocess.DEVNULL
        )
        if out.returncode != 0:
            raise ClusterError(f"initdb failed in {self.data}: {out.stderr.strip()}")
        return True

    def running(self) -> bool:
        return self._ctl("status", check=False).returncode == 0

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''"
        self._ctl("-l", str(self.folder / "log"), "-w", "-t", "60", "-o", options, "start")

    def stop(self) -> None:
        if self.running():
            self._ctl("-m", "fast", "-w", "-t", "60", "stop")

    def stop_bounded(self, say=print, timeout: int = PG_STOP_SECONDS) -> None:
        """Stop within about ``timeout`` + 15 s: a fast shutdown (open sessions are ended, a checkpoint is written);
        if that has not finished by the deadline, an immediate one (no checkpoint: recovery at the next start,
        nothing committed lost); if even that hangs, SIGKILL of the postmaster and its workers. Each step said."""
        if not self.running():
            return
        if self._ctl("-m", "fast", "-w", "-t", str(timeout), "stop", check=False).returncode == 0:
            return
        say(f"PostgreSQL did not stop within {timeout} s (fast shutdown): immediate shutdown")
        if self._ctl("-m", "immediate", "-w", "-t", "10", "stop", check=False).returncode == 0:
            return
        pid = self.postmaster_pid()
        say(f"PostgreSQL did not stop after an immediate shutdown either: SIGKILL to the postmaster ({pid})")
        try:
            master = psutil.Process(pid)
            procs = [master, *master.children(recursive=True)]
        except (psutil.Error, TypeError, ValueError):
            return
        kill_all(procs)
        (self.data / "postmaster.pid").unlink(missing_ok=True)

    def postmaster_pid(self) -> int | None:
        try:
            return int((self.data / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def create_database(self, name: str = DB_NAME) -> bool:
        """Create the database unless it exists; True when it was created."""
        from sqlalchemy import create_engine, text

        engine = create_engine(
            f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres", isolation_level="AUTOCOMMIT"
        )
        try:
            with engine.connect() as conn:
                if conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}) is None:
                    conn.execute(text(f'CREATE DATABASE "{name}"'))
                    return True
                return False
        finally:
            engine.dispose()


# --- the processes ------------------------------------------------------------------------------------------


@dataclass
class Component:
    name: str
    process: subprocess.Popen
    log: Path
    url: str = ""
    reported: bool = False  # its unexpected exit was already printed

    def tree(self) -> list[psutil.Process]:
        """The process and everything under it now (kernels and the Hub's proxy start sessions of their own)."""
        try:
            root = psutil.Process(self.process.pid)
            return [root, *root.children(recursive=True)]
        except psutil.Error:
            return []


def spawn(name: str, cmd: list[str], log: Path, env: dict, cwd: Path) -> Component:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        proc = subprocess.Popen(
            cmd,
            env=env,
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    return Component(name, proc, log)


def kill_all(procs: list[psutil.Process]) -> list[int]:
    """SIGKILL each process still running (not a zombie) and wait up to 5 s for them; the pids signalled."""
    killed = []
    for p in procs:
        try:
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                p.kill()
                killed.append(p.pid)
        except psutil.Error:
            pass
    psutil.wait_procs(procs, timeout=5)
    return killed


def _kill_group_and_tree(comp: Component, seen: list[psutil.Process]) -> list[int]:
    """SIGKILL the component's process group (it started a session of its own: pgid = its pid) and every process
    of its tree, seen at the start of the stop or now (kernels and the Hub's proxy run in sessions of their own).
    Returns the pids that got the signal."""
    killed = []
    try:
        os.killpg(comp.process.pid, signal.SIGKILL)
        killed.append(comp.process.pid)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        comp.process.kill()  # through Popen, which then reaps it (psutil's wait would take its exit code)
    except ProcessLookupError:
        pass
    procs = {p.pid: p for p in [*seen, *comp.tree()] if p.pid != comp.process.pid}
    return sorted(set(killed + kill_all(list(procs.values()))))


def stop_components(components: list[Component], timeout: float = STOP_SECONDS, say=print) -> list[str]:
    """Stop every component within ``timeout`` seconds: SIGTERM to each at once (its own clean shutdown: the Hub
    stops its proxy, a copy its kernels and grading worker), then, for one still running at the deadline, SIGKILL of
    its whole process group and process tree, said through ``say``. Afterwards the processes of the trees seen at
    the start that are still there (a kernel whose copy exited without stopping it) are killed too. Returns the
    names of the components that had to be killed. Never waits longer than ``timeout`` + about 10 s."""
    trees = {c.name: c.tree() for c in components}
    for c in components:
        if c.process.poll() is None:
            try:
                c.process.send_signal(signal.SIGTERM)
            except ProcessLookupError:
                pass
    deadline = time.monotonic() + timeout
    killed = []
    for c in components:
        try:
            c.process.wait(max(0.1, deadline - time.monotonic()))
            continue
        except subprocess.TimeoutExpired:
            pass
        pids = [p for p in _kill_group_and_tree(c, trees[c.name]) if p != c.process.pid]
        killed.append(c.name)
        say(
            f"{c.name} did not stop within {timeout:.0f} s of SIGTERM: SIGKILL to its process group {c.process.pid}"
            f" and to {len(pids)} more process(es) of its tree{' ' + str(pids) if pids else ''} (log {c.log})"
        )
        try:
            c.process.wait(5)
        except subprocess.TimeoutExpired:
            say(f"{c.name} (pid {c.process.pid}) is still there after SIGKILL")
    left = [p for name, tree in trees.items() if name not in killed for p in tree]
    _gone, alive = psutil.wait_procs(left, timeout=2)
    stray = []
    for p in alive:
        try:
            stray.append(f"{p.pid} {' '.join(p.cmdline())[:80]}")
            p.kill()
        except psutil.Error:
            pass
    if stray:
        say(f"killed {len(stray)} process(es) left behind by stopped components: {'; '.join(stray)}")
    psutil.wait_procs(alive, timeout=5)
    return killed


def wait_http(url: str, proc: subprocess.Popen | None, log: Path | None, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
            raise ClusterError(f"{what} exited with code {proc.returncode} (log {log}):\n{tail}")
        try:
            with urllib.request.urlopen(url, timeout=3) as r:
                if r.status == 200:
                    return
        except (OSError, urllib.error.HTTPError):
            pass
        time.sleep(0.3)
    tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
    raise ClusterError(f"{what} did not answer {url} within {timeout:.0f} s (log {log}):\n{tail}")


# --- the configuration files --------------------------------------------------------------------------------


def haproxy_config(port: int, copies: list[tuple[str, int]], pidfile: Path, stats_port: int = 0) -> str:
    """HAProxy's config; ``stats_port``: HAProxy's statistics page on loopback (``/stats``, ``/stats;csv``)."""
    stats = (
        f"\nfrontend stats\n    bind 127.0.0.1:{stats_port}\n    stats enable\n    stats uri /stats\n"
        if stats_port
        else ""
    )
    servers = "\n".join(
        f"    server {name} 127.0.0.1:{p} cookie {name} check inter 2s fall 2 rise 1" for name, p in copies
    )
    return f"""# written by `rusfokus cluster` on each start
global
    maxconn 4000
    pidfile {pidfile}

defaults
    mode http
    option httplog
    option forwardfor
    option redispatch
    retries 2
    timeout connect 5s
    timeout client 120s
    timeout server 120s
    timeout tunnel 1h

frontend rusfokus
    bind 127.0.0.1:{port}
    default_backend copies

backend copies
    balance roundrobin
    # sticky: the first answer sets {STICKY_COOKIE}=<copy>; a copy that is down loses its people to another
    cookie {STICKY_COOKIE} insert indirect nocache httponly
    # alive or not (no database question): a PostgreSQL outage shows as each copy's own 503 from /healthz
    option httpchk GET /healthz?probe=live
    http-check expect status 200
{servers}
{stats}"""


def dummy_login(groups: dict, password: str = HUB_PASSWORD) -> str:
    """The Hub's login part for the dummy authenticator: one password, the groups loaded from the config."""
    return f"""c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = {password!r}
c.Authenticator.allow_all = True
c.JupyterHub.load_groups = {{name: {{"users": users}} for name, users in {groups!r}.items()}}
"""


def hub_config(
    folder: Path,
    port: int,
    hub_port: int,
    proxy_api: int,
    chp: str,
    token: str,
    service_url: str,
    login: str,
    access_groups: list[str] | None = None,
) -> str:
    """The Hub's config (also the tests' Hub, tests/helpers/hub.py); ``login`` is its authenticator part
    (``dummy_login`` or the OIDC snippet); ``access_groups``: the Hub groups whose members may open rusfokus
    (default the three rusfokus maps to roles)."""
    groups = access_groups or [HUB_GROUP_ADMIN, HUB_GROUP_LEARNER, HUB_GROUP_NOEGLEPERSON]
    return f"""# written by `rusfokus cluster` on each start
c = get_config()  # noqa
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {port}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {hub_port}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{proxy_api}"
c.ConfigurableHTTPProxy.command = [{chp!r}]
c.JupyterHub.db_url = "sqlite:///{folder / "hub.sqlite"}"
c.JupyterHub.cookie_secret_file = {str(folder / "cookie_secret")!r}
c.JupyterHub.pid_file = {str(folder / "hub.pid")!r}
c.ConfigurableHTTPProxy.pid_file = {str(folder / "proxy.pid")!r}
c.JupyterHub.cleanup_servers = True
c.JupyterHub.services = [
    {{
        "name": "rusfokus",
        "url": {service_url!r},
        "api_token": {token!r},
        "oauth_client_id": "service-rusfokus",
        "oauth_redirect_uri": {service_url + "/hub/oauth_callback"!r},
        "oauth_no_confirm": True,
    }}
]
c.JupyterHub.load_roles = [
    {{"name": "rusfokus-adgang", "scopes": ["access:services!service=rusfokus"], "groups": {groups!r}}},
    {{
        "name": "rusfokus-tjeneste",
        "scopes": ["read:users:name", "read:users:groups", "read:servers"],
        "services": ["rusfokus"],
    }},
]
{login}"""


def demo_hub_users(db_url: str, domain: str) -> dict[str, dict]:
    """Hub user name → {email, name, role} for a few people of the demo staff list (two learners, one
    nøgleperson) and the admin; the Hub name is the e-mail's part before @ (RUSFOKUS_HUB_EMAIL_DOMAIN adds it)."""
    from sqlalchemy import select

    from rusfokus.db import session_scope
    from rusfokus.progress.models import STATUS_ACTIVE, Person

    users: dict[str, dict] = {}
    with session_scope(db_url) as s:
        people = s.scalars(
            select(Person)
            .where(Person.status == STATUS_ACTIVE, Person.email.endswith("@" + domain))
            .order_by(Person.id)
        ).all()
        learners = [p for p in people if not p.noegleperson][:2]
        keys = [p for p in people if p.noegleperson][:1]
        for p, role in [(p, "kursist") for p in learners] + [(p, "noegleperson") for p in keys]:
            users[p.email.split("@")[0]] = {"email": p.email, "name": p.name, "role": role}
    users[HUB_ADMIN_USER] = {"email": "", "name": "Konsulent (admin)", "role": "admin"}
    return users


# --- the cluster --------------------------------------------------------------------------------------------


@dataclass
class Cluster:
    root: Path
    state: Path
    port: int
    hub_port: int
    copies: int = 2
    with_hub: bool = True
    demo: bool = True  # load the demo data into an empty database
    auth: str = "dummy"  # the Hub's login: "dummy" (one password) or "oidc" (the test OIDC provider on loopback)
    provider: object = None  # the OIDC provider (auth "oidc"), served from a thread of this process
    stats_port: int = 0  # HAProxy's statistics page

    def requests_per_copy(self) -> dict[str, int]:
        """HTTP requests HAProxy has sent to each copy so far (its statistics, column ``stot``: sessions, one per
        request in HTTP mode without keep-alive reuse)."""
        import csv
        import io

        with urllib.request.urlopen(f"http://127.0.0.1:{self.stats_port}/stats;csv", timeout=5) as r:
            rows = list(csv.DictReader(io.StringIO(r.read().decode().lstrip("# "))))
        return {
            row["svname"]: int(row["stot"] or 0)
            for row in rows
            if row["pxname"] == "copies" and row["svname"].startswith("copy-")
        }

    book_dir: Path | None = None
    extra_env: dict = field(default_factory=dict)
    course_dir: Path | None = None
    """The nbgrader course folder (settings.course_dir); default <root>/exercises."""
    out: object = None  # where progress lines go (stdout)
    postgres: Postgres | None = None
    components: list[Component] = field(default_factory=list)
    users: dict = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def hub_url(self) -> str:
        return f"http://127.0.0.1:{self.hub_port}"

    def say(self, line: str) -> None:
        print(line, file=self.out or sys.stdout, flush=True)

    def _rusfokus_env(self, home: Path) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTERHUB_")}
        env.update(self.extra_env)
        env.update(
            {
                "RUSFOKUS_ROOT": str(self.root),
                "RUSFOKUS_HOME": str(home),
                "RUSFOKUS_DB": self.postgres.url,
                "RUSFOKUS_GRADEBOOK_DB": self.postgres.url_of(GRADEBOOK_DB_NAME),
                "RUSFOKUS_SECRET_FILE": str(self.state / "secret.key"),  # one secret key for every copy
                "PYTHONUNBUFFERED": "1",
                "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            }
        )
        if self.book_dir is not None:
            env["RUSFOKUS_BOOK_DIR"] = str(self.book_dir)
        return env

    def _cli(self, *args: str, home: Path) -> str:
        out = subprocess.run(
            [sys.executable, "-m", "rusfokus.cli", *args],
            env=self._rusfokus_env(home),
            cwd=self.root,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
        )
        if out.returncode != 0:
            raise ClusterError(f"rusfokus {' '.join(args)} failed:\n{out.stderr.strip() or out.stdout.strip()}")
        return out.stdout

    def start(self) -> None:
        from rusfokus.progress.demo import DOMAIN

        bins = find_binaries(self.root, self.with_hub)
        for what, p in (("the cluster's address", self.port), ("the Hub", self.hub_port)):
            if (what == "the cluster's address" or self.with_hub) and not port_free(p):
                raise ClusterError(f"port {p} ({what}) is in use on 127.0.0.1: stop what uses it or pick another")
        self.state.mkdir(parents=True, exist_ok=True)
        logs = self.state / "logs"
        logs.mkdir(exist_ok=True)

        # 1. PostgreSQL, the database, migrations and the demo data
        self.postgres = Postgres(self.state / "postgres", free_port())
        if self.postgres.init():
            self.say(f"PostgreSQL: new database cluster in {self.postgres.data}")
        if self.postgres.running():  # left over from a run that was killed: its port is unknown, restart it
            self.postgres.stop()
        self.postgres.start()
        self.postgres.create_database(DB_NAME)
        new_gradebook = self.postgres.create_database(GRADEBOOK_DB_NAME)
        self.say(f"PostgreSQL 15 on 127.0.0.1:{self.postgres.port}, database {DB_NAME}")
        admin_home = self.state / "admin"
        if self.demo:
            for line in self._cli("demo", "load", "--if-empty", home=admin_home).splitlines():
                self.say(f"  {line}")
        else:  # migrations only
            from rusfokus.migrations import upgrade

            upgrade(self.postgres.url)

        # the built exercises into the shared gradebook (every copy grades against it), once
        course = Path(self.extra_env.get("RUSFOKUS_COURSE_DIR") or self.course_dir or self.root / "exercises")
        built = sorted(p.name for p in (course / "source").glob("*") if p.is_dir())
        if new_gradebook and built:
            self._cli("opgave", "build", *built, home=admin_home)
            self.say(f"nbgrader gradebook in PostgreSQL ({GRADEBOOK_DB_NAME}): {', '.join(built)}")

        # 2. one shared secret for every copy (cookies and links signed by one copy are good on all)
        secret = self.state / "secret.key"
        if not secret.exists():
            fd = os.open(secret, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))

        # 3. the copies (and the Hub at the same time: each takes 10-20 s to start)
        names = [f"copy-{chr(ord('a') + i)}" for i in range(self.copies)]
        ports = [free_port() for _ in names]
        hub_api, proxy_api, token = free_port(), free_port(), secrets.token_hex(32)
        hub_env = {}
        if self.with_hub:
            self.users = demo_hub_users(self.postgres.url, DOMAIN)
            hub_env = {
                "RUSFOKUS_HUB_API_URL": f"http://127.0.0.1:{hub_api}/hub/api",
                "RUSFOKUS_HUB_URL": self.hub_url,
                "RUSFOKUS_HUB_API_TOKEN": token,
                "RUSFOKUS_HUB_EMAIL_DOMAIN": DOMAIN,
                "RUSFOKUS_HUB_GROUP_ADMIN": HUB_GROUP_ADMIN,
                "RUSFOKUS_HUB_GROUP_LEARNER": HUB_GROUP_LEARNER,
                "RUSFOKUS_HUB_GROUP_NOEGLEPERSON": HUB_GROUP_NOEGLEPERSON,
            }
        for name, port in zip(names, ports, strict=True):
            home = self.state / name
            home.mkdir(exist_ok=True)
            shutil.copyfile(secret, home / "secret.key")
            os.chmod(home / "secret.key", 0o600)
            env = self._rusfokus_env(home)
            env.update(hub_env)
            env.update(
                {
                    "RUSFOKUS_COPY_NAME": name,
                    "RUSFOKUS_HOST": "127.0.0.1",
                    "RUSFOKUS_PORT": str(port),
                    "RUSFOKUS_BASE_URL": self.url,  # links, QR codes and the Hub's callback name the balancer
                    "RUSFOKUS_TRUSTED_PROXY": "1",  # reachable through HAProxy (and loopback) only
                }
            )
            comp = spawn(name, [sys.executable, "-m", "rusfokus.cli", "serve"], logs / f"{name}.log", env, self.root)
            comp.url = f"http://127.0.0.1:{port}"
            self.components.append(comp)
        if self.with_hub:
            hub_dir = self.state / "hub"
            hub_dir.mkdir(exist_ok=True)
            groups = {HUB_GROUP_ADMIN: [], HUB_GROUP_LEARNER: [], HUB_GROUP_NOEGLEPERSON: []}
            for user, info in self.users.items():
                group = {"admin": HUB_GROUP_ADMIN, "noegleperson": HUB_GROUP_NOEGLEPERSON}.get(
                    info["role"], HUB_GROUP_LEARNER
                )
                groups[group].append(user)
            env = {
                k: v for k, v in os.environ.items() if not k.startswith(("JUPYTERHUB_", "RUSFOKUS_", "OIDC_", "OAUTH"))
            }
            env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
            if self.auth == "oidc":
                login, oidc_env = self._start_oidc(groups)
                env.update(oidc_env)
            else:
                login = dummy_login(groups)
            conf = hub_config(
                hub_dir, self.hub_port, hub_api, proxy_api, bins["configurable-http-proxy"], token, self.url, login
            )
            (hub_dir / "jupyterhub_config.py").write_text(conf)
            hub = spawn(
                "jupyterhub",
                [bins["jupyterhub"], "-f", str(hub_dir / "jupyterhub_config.py")],
                logs / "jupyterhub.log",
                env,
                hub_dir,
            )
            hub.url = self.hub_url
            self.components.append(hub)
        for comp in self.components:
            if comp.name.startswith("copy-"):
                wait_http(comp.url + "/healthz", comp.process, comp.log, 180, f"rusfokus serve ({comp.name})")
                self.say(f"{comp.name}: {comp.url} (log {comp.log})")
            else:
                wait_http(comp.url + "/hub/api", comp.process, comp.log, 120, "JupyterHub")
                self.say(f"JupyterHub: {comp.url} (log {comp.log})")

        # 4. HAProxy in front
        cfg = self.state / "haproxy.cfg"
        self.stats_port = free_port()
        copies = list(zip(names, ports, strict=True))
        cfg.write_text(haproxy_config(self.port, copies, self.state / "haproxy.pid", self.stats_port))
        check = subprocess.run([bins["haproxy"], "-c", "-q", "-f", str(cfg)], capture_output=True, text=True)
        if check.returncode != 0:
            raise ClusterError(f"haproxy refused {cfg}:\n{check.stderr.strip() or check.stdout.strip()}")
        lb = spawn(
            "haproxy", [bins["haproxy"], "-db", "-f", str(cfg)], logs / "haproxy.log", os.environ.copy(), self.state
        )
        lb.url = self.url
        self.components.append(lb)
        wait_http(self.url + "/healthz", lb.process, lb.log, 30, "HAProxy")
        self.write_info()

    def _start_oidc(self, groups: dict) -> tuple[str, dict]:
        """The test OpenID Connect provider (tests/helpers/oidc_provider.py: authlib on loopback, in a thread of
        this process) with the demo users, and the Hub's login through ``deploy/hub/os2faktor.py`` (the
        operator's GenericOAuthenticator snippet, loaded as it is) pointed at it by its environment variables.
        The Hub user name is then the e-mail (the snippet's username claim); groups come from the ID token."""
        from rusfokus.progress.demo import DOMAIN

        tests = str(self.root / "tests")
        if tests not in sys.path:
            sys.path.insert(0, tests)
        try:
            from helpers import oidc_provider as op
        except ImportError as exc:
            raise ClusterError(
                "--auth oidc needs the test OpenID Connect provider (tests/helpers/oidc_provider.py) and the dev "
                f"dependencies it uses (authlib, flask: `make install`): {exc}"
            ) from exc
        member = {user: group for group, users in groups.items() for user in users}
        users = {
            name: op.User(name, HUB_PASSWORD, info["email"] or f"{name}@{DOMAIN}", info["name"], (member[name],))
            for name, info in self.users.items()
        }
        for name, user in users.items():
            self.users[name]["email"] = user.email
        self.provider = op.OIDCProvider(users).start()
        client_secret = secrets.token_urlsafe(24)
        callback = f"{self.hub_url}/hub/oauth_callback"
        self.provider.register_client(op.HUB_CLIENT_ID, client_secret, [callback])
        meta = self.provider.discovery()
        self.say(f"OpenID Connect provider (test): {self.provider.issuer}")
        env = {
            "OIDC_ISSUER": self.provider.issuer,
            "OIDC_CLIENT_ID": op.HUB_CLIENT_ID,
            "OIDC_CLIENT_SECRET": client_secret,
            "OAUTH_CALLBACK_URL": callback,
            "OIDC_AUTHORIZE_URL": meta["authorization_endpoint"],
            "OIDC_TOKEN_URL": meta["token_endpoint"],
            "OIDC_USERINFO_URL": meta["userinfo_endpoint"],
            "OIDC_JWKS_URL": meta["jwks_uri"],
        }
        return f"load_subconfig({str(op.SNIPPET)!r})\n", env

    def write_info(self) -> None:
        info = {
            "url": self.url,
            "hub_url": self.hub_url if self.with_hub else "",
            "hub_password": HUB_PASSWORD if self.with_hub else "",
            "sticky_cookie": STICKY_COOKIE,
            "haproxy_stats": f"http://127.0.0.1:{self.stats_port}/stats",
            "postgres": {"folder": str(self.postgres.folder), "port": self.postgres.port, "url": self.postgres.url},
            "components": {c.name: {"pid": c.process.pid, "url": c.url, "log": str(c.log)} for c in self.components},
            "users": self.users,
            "runner_pid": os.getpid(),
        }
        (self.state / "cluster.json").write_text(json.dumps(info, indent=2, ensure_ascii=False) + "\n")

    def banner(self) -> None:
        self.say("")
        self.say(f"{READY_LINE}: {self.url}  ({self.copies} copies behind HAProxy, sticky cookie {STICKY_COOKIE})")
        self.say(f"  each copy's health: {self.url}/healthz (JSON: the copy's name and the database state)")
        if self.with_hub:
            self.say(
                f"  log in through JupyterHub: {self.url}/hub/login  (password for every demo user: {HUB_PASSWORD})"
            )
            for user, info in self.users.items():
                who = info["email"] or "admin views (/admin/)"
                self.say(f"    {user:<22} {info['role']:<13} {who}")
        self.say(f"  HAProxy's statistics: http://127.0.0.1:{self.stats_port}/stats")
        self.say(f"  state and logs: {self.state}  (cluster.json lists ports and processes)")
        self.say(f"  {BANNER_END}")

    def watch(self) -> None:
        """Until interrupted: report a component that exits (the others keep running)."""
        while True:
            for c in self.components:
                if not c.reported and c.process.poll() is not None:
                    c.reported = True
                    self.say(f"{c.name} exited with code {c.process.returncode} (log {c.log})")
            time.sleep(1)

    def stop(self) -> None:
        if self.postgres is None and not self.components:
            return  # nothing was started
        order = [c for c in self.components if c.name == "haproxy"]
        order += [c for c in self.components if c.name == "jupyterhub"]
        order += [c for c in self.components if c.name.startswith("copy-")]
        stop_components(order, say=self.say)
        proxy_pid = self.state / "hub" / "proxy.pid"  # the Hub stops its proxy; if it was killed, we do
        try:
            pid = int(proxy_pid.read_text().strip())
            proc = psutil.Process(pid)
            if "configurable-http-proxy" in " ".join(proc.cmdline()):
                proc.kill()
        except (OSError, ValueError, psutil.Error):
            pass
        if self.provider is not None:
            self.provider.stop()
        if self.postgres is not None:
            try:
                self.postgres.stop_bounded(say=self.say)
            except ClusterError as exc:
                self.say(f"warning: {exc}")
        (self.state / "cluster.json").unlink(missing_ok=True)
        self.say(STOPPED_LINE)


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


def run(args) -> int:
    settings = args.settings
    state = Path(args.state) if args.state else settings.home / "cluster"
    cluster = Cluster(
        root=settings.root,
        state=state.resolve(),
        port=args.port,
        hub_port=args.hub_port,
        copies=args.copies,
        with_hub=not args.no_hub,
        auth=args.auth,
        book_dir=Path(args.book_dir).resolve() if args.book_dir else None,
        course_dir=settings.course_dir,
    )
    # both set here, not left to Python's default: started as a background job of a script (`make cluster &`, a CI
    # runner), the runner inherits SIGINT ignored, and Python then keeps it ignored, so Ctrl-C or `kill -INT` did
    # nothing (the flaky SIGINT test: its CI run was such a job)
    signal.signal(signal.SIGINT, _raise_interrupt)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        cluster.start()
        cluster.banner()
        cluster.watch()
    except KeyboardInterrupt:
        cluster.say("stopping ...")
        return 0
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the clean-up short
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        cluster.stop()
    return 0


def register(sub) -> None:
    p = sub.add_parser(
        "cluster",
        help="Start on loopback PostgreSQL, JupyterHub, HAProxy and 2 copies of `rusfokus serve` (make cluster); "
        "Ctrl-C stops everything.",
    )
    p.add_argument("--port", type=int, default=8870, help="HAProxy's port: the address people open (default 8870).")
    p.add_argument("--hub-port", type=int, default=8871, help="JupyterHub's public port (default 8871).")
    p.add_argument("--copies", type=int, default=2, choices=range(1, 10), metavar="N", help="Copies (default 2).")
    p.add_argument("--state", default=None, help="State folder: database, logs, configs (default <home>/cluster).")
    p.add_argument("--book-dir", default=None, help="The built book (default RUSFOKUS_BOOK_DIR or _build/html).")
    p.add_argument("--auth", default="dummy", choices=("dummy", "oidc"), help="The Hub's authenticator.")
    p.add_argument("--no-hub", action="store_true", help="No JupyterHub (personal links only).")
    p.set_defaults(func=_cmd_cluster)


def _cmd_cluster(args) -> int:
    try:
        return run(args)
    except ClusterError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
