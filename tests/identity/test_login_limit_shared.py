"""The failed-login limit counted in the database (issue 19, migration 0016): N copies behind a balancer allow no more
guesses than one. Two real processes ("copies") guess in parallel on one SQLite file and on one PostgreSQL
database; the rule itself (attempts in flight count, a success forgets, the window expires) on both."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from sqlalchemy import func, select

from rusfokus.db import session_scope
from rusfokus.identity.login_limit import LoginAttempt, SharedLoginLimiter
from rusfokus.migrations import upgrade

from helpers.paths import ROOT
from helpers.pg_database import fresh_database

# one copy: 25 attempts at once on one user name (each from its own address), each checked for 0.3 s and wrong
COPY = textwrap.dedent(
    """
    import sys, threading, time
    from rusfokus.identity.login_limit import SharedLoginLimiter
    url, name = sys.argv[1], sys.argv[2]
    limiter = SharedLoginLimiter(url, limit=5, window=300)
    start, passed, lock = threading.Event(), [], threading.Lock()
    def guess(i):
        start.wait()
        slot = limiter.reserve(f"ip:10.{name}.0.{i}", "user:konsulent")
        if slot is not None:
            with lock:
                passed.append(i)
            time.sleep(0.3)  # the password being checked
            slot.failed()
    threads = [threading.Thread(target=guess, args=(i,)) for i in range(25)]
    for t in threads:
        t.start()
    time.sleep(1.0)  # both copies ready
    start.set()
    for t in threads:
        t.join()
    print(len(passed))
    """
)


def _two_copies_guess(url: str) -> list[int]:
    procs = [
        subprocess.Popen([sys.executable, "-c", COPY, url, name], cwd=ROOT, stdout=subprocess.PIPE, text=True)
        for name in ("1", "2")
    ]
    out = [p.communicate(timeout=120)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs), out
    return [int(o.strip().splitlines()[-1]) for o in out]


def _rows(url: str) -> int:
    with session_scope(url) as s:
        return s.scalar(select(func.count()).select_from(LoginAttempt))


def _rule(url: str) -> None:
    now = [1000.0]
    lim = SharedLoginLimiter(url, limit=2, window=300, clock=lambda: now[0])
    other_copy = SharedLoginLimiter(url, limit=2, window=300, clock=lambda: now[0])
    a, b = lim.reserve("ip:x", "user:u"), other_copy.reserve("ip:x", "user:u")
    assert a and b and lim.reserve("ip:x", "user:u") is None  # two in flight (on two copies) fill the limit
    assert other_copy.reserve("ip:y", "user:u") is None and other_copy.reserve("ip:x", "user:v") is None
    a.failed()
    b.succeeded()  # a success forgets the failures of its keys
    assert lim.reserve("ip:x", "user:v") is not None
    c = lim.reserve("ip:y", "user:w")
    c.failed()
    c.failed()  # settled once only
    other_copy.reserve("ip:z", "user:w").failed()
    assert lim.reserve("ip:q", "user:w") is None and other_copy.reserve("ip:q2", "user:w") is None
    now[0] += 301.0  # the window passed: the next attempt deletes every older row, in flight or failed
    assert _rows(url) > 0
    d = other_copy.reserve("ip:q", "user:w")
    assert d is not None and _rows(url) == 2
    d.failed()
    assert lim.purge() == 0  # within its window
    now[0] += 301.0  # no login comes after it: the server's purge (every window) deletes it
    assert lim.purge() == 2 and _rows(url) == 0


@pytest.fixture
def pg_url(pg_server, request):
    return fresh_database(pg_server, "limit_" + request.node.name[5:40].replace("-", "_"))


def test_the_rule_on_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path / 'l.db'}"
    upgrade(url)
    _rule(url)


def test_two_copies_guessing_at_once_on_one_sqlite_file_check_at_most_five(tmp_path):
    url = f"sqlite:///{tmp_path / 'l.db'}"
    upgrade(url)
    passed = _two_copies_guess(url)
    # per process it was 5 each: up to 10. At most 5, and possibly 0: every attempt writes its row before it
    # counts, so when all 50 land at the same moment each sees more than 5 and none is checked (safe side).
    assert sum(passed) <= 5, passed
    with session_scope(url) as s:
        assert s.scalar(select(func.count()).where(LoginAttempt.key == "user:konsulent")) == sum(passed)
    assert SharedLoginLimiter(url).reserve("ip:9.9.9.9", "user:konsulent") is None or sum(passed) < 5


@pytest.mark.postgres
def test_the_rule_on_postgresql(pg_url):
    _rule(pg_url)


@pytest.mark.postgres
def test_two_copies_guessing_at_once_on_one_postgresql_check_at_most_five(pg_url):
    passed = _two_copies_guess(pg_url)
    assert sum(passed) <= 5, passed  # 0 when all attempts collide (see the SQLite test); a CI run had [0, 0]
    with session_scope(pg_url) as s:
        assert s.scalar(select(func.count()).where(LoginAttempt.key == "user:konsulent", LoginAttempt.failed)) == sum(
            passed
        )
