"""`make cluster` (issue 19): the same code `make cluster` runs (`rusfokus cluster`), started in a subprocess with a
small book and no preheated kernels: a real PostgreSQL 15, JupyterHub 5.4, HAProxy and 2 copies of `rusfokus serve`
on loopback. Both copies answer /healthz through HAProxy, the sticky cookie pins a client, a Hub user logs in and is
the same person on either copy (one shared secret), a PostgreSQL restart makes the copies unhealthy and then well
again with nothing lost, a copy killed with kill -9 restarts on its port, and Ctrl-C (SIGINT) leaves no process
behind. One cluster for the module; the SIGINT test stops it, then `--auth oidc` starts on its state folder (last)."""

from __future__ import annotations

import datetime as dt
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import psutil
import pytest
import requests
from sqlalchemy import select

from rusfokus import identity
from rusfokus.cluster import BANNER_END, READY_LINE, STICKY_COOKIE, STOPPED_LINE, Postgres, kill_all
from rusfokus.db import session_scope
from rusfokus.progress.models import AuditEntry

from helpers.hub import hub_login, small_site
from helpers.oidc_provider import oidc_login
from helpers.paths import ROOT, free_port
from helpers.postgres import postgres_installed

# one cluster for the module, on one xdist worker (--dist loadgroup), in file order: SIGINT, then the OIDC test last
pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.xdist_group("cluster")]


class Running:
    """The `rusfokus cluster` subprocess, its output lines and its cluster.json."""

    def __init__(self, proc: subprocess.Popen, state: Path, env: dict):
        self.proc, self.state, self.env = proc, state, env
        self.lines: list[str] = []
        self._q: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.info: dict = {}

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))
            self._q.put(line)
        self._q.put(None)

    def wait_for(self, text: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self._q.get(timeout=1)
            except queue.Empty:
                continue
            if line is None:
                break
            if text in line:
                return
        raise AssertionError(f"no {text!r} from rusfokus cluster:\n" + "\n".join(self.lines[-60:]))

    @property
    def url(self) -> str:
        return self.info["url"]

    def copy_url(self, name: str) -> str:
        return self.info["components"][name]["url"]

    def postgres(self) -> Postgres:
        return Postgres(Path(self.info["postgres"]["folder"]), self.info["postgres"]["port"])

    def secret(self) -> bytes:
        return identity.load_secret(self.state / "secret.key")

    def rusfokus(self, *args: str) -> str:
        env = {**self.env, "RUSFOKUS_DB": self.info["postgres"]["url"], "RUSFOKUS_HOME": str(self.state / "admin")}
        out = subprocess.run(
            [sys.executable, "-m", "rusfokus.cli", *args], env=env, cwd=ROOT, capture_output=True, text=True
        )
        assert out.returncode == 0, out.stderr
        return out.stdout

    def kill_leftovers(self) -> None:
        """SIGKILL every component's process group and tree and PostgreSQL (when the runner itself had to be
        killed)."""
        procs = []
        for comp in self.info.get("components", {}).values():
            try:
                os.killpg(comp["pid"], signal.SIGKILL)
            except OSError:
                pass
        if self.info:
            try:
                procs = self.processes()
            except psutil.Error:
                procs = []
        kill_all(procs)

    def processes(self) -> list[psutil.Process]:
        """The runner and everything under it, and PostgreSQL (a daemon of pg_ctl) with its workers."""
        procs = []
        for pid in (self.proc.pid, self.postgres().postmaster_pid()):
            if pid:
                root = psutil.Process(pid)
                procs += [root, *root.children(recursive=True)]
        return procs


@contextmanager
def running_cluster(base: Path, *options: str, state: Path | None = None):
    """`rusfokus cluster` with ``options`` in a subprocess, until its banner is printed; stopped with SIGINT after.
    ``state``: the state folder of a cluster run before (its PostgreSQL with the demo data and gradebook: a start
    without initdb, demo load and exercise build); kept, while a new one is removed afterwards."""
    if not postgres_installed() or shutil.which("haproxy") is None:
        pytest.skip("needs Debian's postgresql 15 and haproxy (make system-deps)")
    book, widgets = small_site(base)
    # PostgreSQL runs as the postgres user when the tests run as root: a state folder it can reach
    new_state = state is None
    if new_state:
        state = Path(tempfile.mkdtemp(prefix="rusfokus-cluster-"))
        state.chmod(0o711)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RUSFOKUS_", "JUPYTERHUB_"))}
    env.update(
        {
            "RUSFOKUS_ROOT": str(ROOT),
            "RUSFOKUS_HOME": str(base / "home"),
            "RUSFOKUS_WIDGETS_DIR": str(widgets),
            "RUSFOKUS_POOL_SIZE": "0",
            "PYTHONUNBUFFERED": "1",
        }
    )
    cmd = [sys.executable, "-m", "rusfokus.cli", "cluster", "--state", str(state), "--book-dir", str(book)]
    cmd += ["--port", str(free_port()), "--hub-port", str(free_port()), *options]
    # started as a background job of a script is (`make cluster &`, a CI runner's shell): SIGINT ignored, inherited.
    # The runner must still stop on SIGINT (a CI run hung 2 x 90 s here before it set its own handler).
    cmd = ["sh", "-c", 'trap "" INT; exec "$@"', "sh", *cmd]
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    running = Running(proc, state, env)
    try:
        running.wait_for(BANNER_END, 300)  # the whole banner is read
        running.info = json.loads((state / "cluster.json").read_text())
        yield running
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(90)
            except subprocess.TimeoutExpired:
                proc.kill()
                running.kill_leftovers()  # never leave a cluster running after the tests
        if new_state:
            shutil.rmtree(state, ignore_errors=True)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with running_cluster(tmp_path_factory.mktemp("cluster")) as running:
        yield running


def healthz(url: str, session=None) -> tuple[int, dict]:
    r = (session or requests).get(url + "/healthz", timeout=10)
    return r.status_code, r.json()


def test_the_runner_prints_the_address_and_the_demo_users(cluster):
    out = "\n".join(cluster.lines)
    assert f"{READY_LINE}: {cluster.url}" in out
    users = cluster.info["users"]
    assert {u["role"] for u in users.values()} == {"kursist", "noegleperson", "admin"}
    for name, user in users.items():
        assert name in out and user["role"] in out


def test_both_copies_answer_healthz_through_haproxy_and_the_cookie_pins_a_client(cluster):
    # no cookie kept: round robin reaches both copies, each naming itself and its database
    seen = set()
    for _ in range(6):
        status, body = healthz(cluster.url)
        assert status == 200 and body["database"]["state"] == "ok" and body["database"]["dialect"] == "postgresql"
        seen.add(body["copy"])
    assert seen == {"copy-a", "copy-b"}
    # a client that keeps its cookies stays on the copy the first answer named
    browser = requests.Session()
    status, first = healthz(cluster.url, browser)
    assert status == 200 and browser.cookies.get(STICKY_COOKIE) == first["copy"]
    assert {healthz(cluster.url, browser)[1]["copy"] for _ in range(6)} == {first["copy"]}
    # HAProxy's statistics count requests on both copies
    stats = requests.get(cluster.info["haproxy_stats"] + ";csv", timeout=10).text
    rows = [line.split(",") for line in stats.splitlines() if line.startswith("copies,copy-")]
    assert {r[1] for r in rows} == {"copy-a", "copy-b"} and all(int(r[7]) > 0 for r in rows), stats
    # each copy also answers on its own port
    for name in ("copy-a", "copy-b"):
        status, body = healthz(cluster.copy_url(name))
        assert status == 200 and body["copy"] == name


def pinned(cluster, copy: str) -> requests.Session:
    browser = requests.Session()
    browser.cookies.set(STICKY_COOKIE, copy, domain="127.0.0.1", path="/")
    return browser


def test_hub_user_logs_in_through_the_hub_and_is_the_same_person_on_either_copy(cluster):
    users = cluster.info["users"]
    learner = next(name for name, u in users.items() if u["role"] == "kursist")
    browser = pinned(cluster, "copy-a")
    last = hub_login(browser, f"{cluster.url}/hub/login?next=/hub/whoami", learner, cluster.info["hub_password"])
    assert last.status_code == 200 and last.url == f"{cluster.url}/hub/whoami", (last.url, last.text[:300])
    assert last.json() == {"role": "kursist", "who": users[learner]["email"], "hub": True}
    # the same cookie on the other copy: one shared secret, so the same person
    browser.cookies.set(STICKY_COOKIE, "copy-b", domain="127.0.0.1", path="/")
    assert healthz(cluster.url, browser)[1]["copy"] == "copy-b"
    r = browser.get(f"{cluster.url}/hub/whoami", timeout=10)
    assert r.json() == {"role": "kursist", "who": users[learner]["email"], "hub": True}
    # the admin of the Hub's admin group, started on copy-b
    admin = pinned(cluster, "copy-b")
    last = hub_login(admin, f"{cluster.url}/hub/login?next=/hub/whoami", "konsulent", cluster.info["hub_password"])
    assert last.json() == {"role": "admin", "who": "hub:konsulent", "hub": True}


def _audit_rows(cluster) -> set[tuple]:
    with session_scope(cluster.info["postgres"]["url"]) as s:
        return set(s.execute(select(AuditEntry.id, AuditEntry.actor, AuditEntry.action)).all())


def test_postgres_restart_copies_report_unhealthy_recover_and_lose_nothing(cluster):
    # written before: a temadag (operator CLI) and Hub logins (audit rows written by the copies)
    out = cluster.rusfokus(
        "temadag", "create", "--title", "Klyngedag", "--date", dt.date.today().isoformat(), "--place", "Aulaen",
        "--modules", "opsporing", "--facilitator", "Bente", "--institutions", "Klyngeskolen",
    )  # fmt: skip
    temadag_id = int(out.split("#")[1].split(":")[0])
    learner = next(name for name, u in cluster.info["users"].items() if u["role"] == "kursist")
    hub_login(pinned(cluster, "copy-b"), f"{cluster.url}/hub/login?next=/hub/whoami", learner, "demo-kodeord")
    before = _audit_rows(cluster)
    assert any(action == "hub.login" for _, _, action in before)
    admin = {identity.ADMIN_COOKIE: identity.admin_token("klynge-test", secret=cluster.secret())}

    pg = cluster.postgres()
    pg.stop()
    try:
        for name in ("copy-a", "copy-b"):
            for url, session in ((cluster.copy_url(name), None), (cluster.url, pinned(cluster, name))):
                status, body = healthz(url, session)
                assert status == 503, body
                assert body["status"] == "unavailable" and body["copy"] == name
                assert body["database"]["state"] == "unavailable" and "refused" in body["database"]["reason"]
    finally:
        pg.start()
    deadline = time.monotonic() + 30
    while not all(healthz(cluster.copy_url(n))[0] == 200 for n in ("copy-a", "copy-b")):
        assert time.monotonic() < deadline, "the copies did not recover within 30 s of PostgreSQL's restart"
        time.sleep(0.5)
    # nothing written before is lost, and both copies read and write again through their pools
    assert before <= _audit_rows(cluster)
    for name in ("copy-a", "copy-b"):
        r = pinned(cluster, name).get(f"{cluster.url}/api/temadag/{temadag_id}/skaerm?since=-1", cookies=admin)
        assert r.status_code == 200, (name, r.status_code, r.text[:300])
        browser = pinned(cluster, name)
        last = hub_login(browser, f"{cluster.url}/hub/login?next=/hub/whoami", learner, "demo-kodeord")
        assert last.status_code == 200 and last.json()["role"] == "kursist", (name, last.text[:300])
    after = _audit_rows(cluster)
    assert before < after and len([r for r in after - before if r[2] == "hub.login"]) == 2


def test_a_copy_killed_with_kill_9_leaves_nothing_and_restarts_on_its_port(cluster):
    """Kill -9 of copy-a while an app kernel runs: its kernels go with it (nothing holds its port or theirs), and
    the same command started again on the same port answers and serves the app; people pinned to it meanwhile are
    served by copy-b. The restarted copy is stopped at the end (the runner only reports copy-a's exit)."""
    browser = pinned(cluster, "copy-a")
    r = browser.get(f"{cluster.url}/voila/render/audit-c/index.ipynb", timeout=60)
    assert r.status_code == 200, r.text[:300]
    pid = cluster.info["components"]["copy-a"]["pid"]
    copy = psutil.Process(pid)
    tree = [copy, *copy.children(recursive=True)]
    assert any("ipykernel" in _cmdline(p) or "forkserver" in _cmdline(p) for p in tree), [_cmdline(p) for p in tree]
    env, cwd, cmd = copy.environ(), copy.cwd(), copy.cmdline()
    port = int(cluster.copy_url("copy-a").rsplit(":", 1)[1])
    copy.kill()
    _gone, alive = psutil.wait_procs(tree, timeout=10)  # the kernels watch their parent
    assert [p for p in alive if p.status() != psutil.STATUS_ZOMBIE] == [], [(p.pid, _cmdline(p)) for p in alive]
    assert healthz(cluster.url, pinned(cluster, "copy-a"))[1]["copy"] == "copy-b"  # redispatched
    log = Path(cluster.info["components"]["copy-a"]["log"]).with_suffix(".restart.log")
    with log.open("w") as out:
        again = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while True:
            assert again.poll() is None, log.read_text()[-3000:]
            try:
                if healthz(cluster.copy_url("copy-a"))[0] == 200:
                    break
            except requests.RequestException:
                pass
            assert time.monotonic() < deadline, "the restarted copy did not answer in 90 s:\n" + log.read_text()[-3000:]
            time.sleep(0.5)
        # HAProxy sends people pinned to copy-a back to it after its next health check (inter 2s, rise 1)
        deadline = time.monotonic() + 20
        while healthz(cluster.url, pinned(cluster, "copy-a"))[1]["copy"] != "copy-a":
            assert time.monotonic() < deadline, "HAProxy did not take the restarted copy-a back in 20 s"
            time.sleep(0.5)
        r = pinned(cluster, "copy-a").get(f"{cluster.url}/voila/render/audit-c/index.ipynb", timeout=60)
        assert r.status_code == 200 and healthz(cluster.url, pinned(cluster, "copy-a"))[1]["copy"] == "copy-a"
        assert f"127.0.0.1:{port}" in log.read_text()
    finally:
        restarted = [psutil.Process(again.pid), *psutil.Process(again.pid).children(recursive=True)]
        again.terminate()
        try:
            again.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(again.pid, signal.SIGKILL)
            again.wait(5)
        psutil.wait_procs(restarted, timeout=10)


def test_a_missing_program_stops_it_with_an_english_message_naming_the_package(tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUSFOKUS_")}
    env["PATH"] = str(empty)  # no haproxy (nor anything else) on PATH
    out = subprocess.run(
        [sys.executable, "-m", "rusfokus.cli", "cluster", "--no-hub", "--state", str(tmp_path / "state")],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert out.returncode == 2, out
    assert "haproxy not found: install Debian's haproxy (`make system-deps`" in out.stderr
    assert "Traceback" not in out.stderr and out.stdout == ""
    assert not (tmp_path / "state").exists()


def _cmdline(p: psutil.Process) -> str:
    try:
        return " ".join(p.cmdline())
    except psutil.Error:  # a zombie (a kernel or a PostgreSQL backend that just ended) or gone
        return ""


def test_sigint_stops_everything_and_leaves_no_process(cluster):
    # a copy with an app kernel running: it stops with its kernels, within the bound, nothing killed
    r = pinned(cluster, "copy-b").get(f"{cluster.url}/voila/render/audit-c/index.ipynb", timeout=60)
    assert r.status_code == 200, r.text[:300]
    procs = cluster.processes()
    kernels = [p for p in procs if "ipykernel" in _cmdline(p) or "forkserver" in _cmdline(p)]  # forked: the template's
    assert kernels, [_cmdline(p) for p in procs]
    names = " ".join(_cmdline(p) for p in procs)
    for part in ("postgres", "haproxy", "jupyterhub", "configurable-http-proxy", "rusfokus.cli serve"):
        assert part in names, names
    ports = [cluster.info["postgres"]["port"]] + [
        int(c["url"].rsplit(":", 1)[1]) for c in cluster.info["components"].values()
    ]
    cluster.proc.send_signal(signal.SIGINT)  # what Ctrl-C in the terminal of `make cluster` sends
    t0 = time.monotonic()
    assert cluster.proc.wait(90) == 0
    cluster.wait_for(STOPPED_LINE, 5)
    # every component stopped by its own clean shutdown, none had to be killed, within the bound
    assert not [line for line in cluster.lines if "did not stop" in line or "left behind" in line], cluster.lines[-20:]
    assert time.monotonic() - t0 < 60
    time.sleep(0.5)
    alive = [p for p in procs if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert alive == [], [(p.pid, p.cmdline()) for p in alive]
    for port in ports:
        with pytest.raises(requests.ConnectionError):
            requests.get(f"http://127.0.0.1:{port}/", timeout=2)
    assert not (cluster.postgres().data / "postmaster.pid").exists()
    assert not (cluster.state / "cluster.json").exists()


def test_make_cluster_auth_oidc_logs_a_learner_in_through_the_provider(cluster, tmp_path):
    """`make cluster AUTH=oidc`: the Hub's login is deploy/hub/os2faktor.py against the test OpenID Connect provider;
    a demo learner logs in at the provider through HAProxy's address and is the person of the staff list; Ctrl-C
    stops it (the provider too). Cheap: after the module's cluster stopped, on its state folder (its PostgreSQL
    with the demo data and gradebook), one copy."""
    if cluster.proc.poll() is None:  # run alone (-k oidc): the module's cluster first stops
        cluster.proc.send_signal(signal.SIGINT)
        assert cluster.proc.wait(90) == 0
    with running_cluster(tmp_path, "--auth", "oidc", "--copies", "1", state=cluster.state) as oidc:
        assert "OpenID Connect provider (test): http://127.0.0.1:" in "\n".join(oidc.lines)
        users = oidc.info["users"]
        learner = next(name for name, u in users.items() if u["role"] == "kursist")
        browser = requests.Session()
        last = oidc_login(browser, f"{oidc.url}/hub/login?next=/hub/whoami", learner, oidc.info["hub_password"])
        assert last.status_code == 200 and last.url == f"{oidc.url}/hub/whoami", (last.url, last.text[:300])
        assert last.json() == {"role": "kursist", "who": users[learner]["email"], "hub": True}
        oidc.proc.send_signal(signal.SIGINT)
        assert oidc.proc.wait(90) == 0
        oidc.wait_for(STOPPED_LINE, 5)
