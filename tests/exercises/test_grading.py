"""Real nbgrader: build the course, grade through the one queue, crash safety, bad input, no key leaks."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from rusfokus.exercises.course import BuildError, manifest_path, release_path, student_id
from rusfokus.exercises.grading import (
    PENDING_MESSAGE,
    AlreadyPending,
    Grader,
    grade_pending,
    read_result,
)
from rusfokus.exercises.notebook import AnswerError
from rusfokus.exercises.schema import answer_sheet, load_exercise
from rusfokus.exercises.store import history, pending_attempts, stamp_to_nbgrader

from helpers.course import built_course

TEST_CONTENT = Path(__file__).resolve().parents[2] / "modules"  # the shipped content root

# slow: real nbgrader: course builds and grading kernels
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
YML = ROOT / "modules" / "01-opsporing" / "data" / "opgave.yml"
EX = load_exercise(YML)


def answers(correct: bool = True, text: str = "Jeg taler med min nøgleperson og skriver ned, hvad jeg ser.") -> dict:
    return answer_sheet(EX, correct, text)


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    course = built_course(tmp_path_factory.mktemp("course"), "opsporing")  # built once per run, a copy
    manifest = json.loads(manifest_path(course, "opsporing").read_text(encoding="utf-8"))
    assert manifest["questions"] == len(EX.spoergsmaal)
    return course


@pytest.fixture
def progress_calls(monkeypatch):
    import rusfokus.progress.hooks as hooks

    calls = []
    monkeypatch.setattr(hooks, "on_graded", lambda *a, **k: calls.append(a))
    return calls


@pytest.fixture(scope="module")
def grader(course):
    g = Grader(course, content_dir=TEST_CONTENT)
    g.warm_up()
    g.join()
    yield g
    g.close()


def test_close_stops_the_spare_kernel_and_leaves_queued_hand_ins_pending(tmp_path, progress_calls):
    """Server stop: the spare grading kernel (IPC sockets, no TCP port) is shut down and
    its files removed; a hand-in that was only queued stays pending for the next start."""
    from rusfokus.exercises import warmkernel
    from rusfokus.exercises.course import exercise
    from rusfokus.exercises.store import save_attempt

    course = built_course(tmp_path / "course", "opsporing")
    folder = Path(warmkernel.connection_dir())
    others = {p.name for p in folder.glob("*.json")}  # spares of other graders in this process
    g = Grader(course, content_dir=TEST_CONTENT)
    g.warm_up()
    g.join()
    assert oct(folder.stat().st_mode & 0o777) == "0o700" and len(str(folder)) < 60
    mine = [p for p in folder.glob("*.json") if p.name not in others]
    assert len(mine) == 1, sorted(p.name for p in folder.iterdir())
    stem = mine[0].name[: -len(".json")]
    connection = json.loads(mine[0].read_text())
    assert connection["transport"] == "ipc"  # sockets, not TCP ports
    deadline = time.monotonic() + 30  # the kernel binds its sockets shortly after it starts
    while not list(folder.glob(stem + "-ipc-*")) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert list(folder.glob(stem + "-ipc-*")), sorted(p.name for p in folder.iterdir())
    g._stopping = True  # as close() does first: nothing new is graded from here on
    attempt = save_attempt(
        course, "bliver.liggende@eksempel-kommune.example", exercise("opsporing", TEST_CONTENT), answers()
    )
    future = g._enqueue(attempt)
    g.close()
    assert not g._thread.is_alive()
    with pytest.raises(Exception, match="stopping"):
        future.result(timeout=5)
    assert attempt.is_pending
    left = [p.name for p in folder.glob(stem + "*")] if folder.exists() else []
    assert not left, left


def test_build_writes_source_release_and_keeps_key_out_of_release(course):
    src = (course / "source" / "opsporing" / "opsporing.ipynb").read_text(encoding="utf-8")
    rel = release_path(course, "opsporing").read_text(encoding="utf-8")
    assert "BEGIN HIDDEN TESTS" in src and "svar_ugegraense == 'b'" in src
    assert "HIDDEN TESTS" not in rel and "BEGIN SOLUTION" not in rel
    for q in EX.spoergsmaal:
        if q.auto:
            assert f"{q.var} ==" not in rel and f"sorted({q.var})" not in rel, q.id
        assert q.forklaring.splitlines()[0] not in rel, q.id


def test_right_and_wrong_answers_score_with_explanations(grader, course, progress_calls):
    email = "sofie.holm@eksempel-kommune.example"
    t0 = time.perf_counter()
    _, fut = grader.submit(email, "opsporing", answers(True))
    right = fut.result(timeout=60)
    elapsed = time.perf_counter() - t0
    assert right["score"] == right["max_score"] == EX.auto_points and right["passed"]
    assert right["pending_manual"] is True
    by_id = {r["id"]: r for r in right["questions"]}
    assert by_id["egen-praksis"]["status"] == "afventer" and by_id["egen-praksis"]["score"] is None
    assert by_id["ugegraense"]["status"] == "rigtigt" and "10 genstande" in by_id["ugegraense"]["forklaring"]
    _, fut = grader.submit(email, "opsporing", answers(False))
    wrong = fut.result(timeout=60)
    assert wrong["score"] == 0 and not wrong["passed"]
    assert {r["status"] for r in wrong["questions"] if r["type"] != "refleksion"} == {"forkert"}
    rows = history(course, email, "opsporing")
    assert [r["result"]["passed"] for r in rows[-2:]] == [True, False] and not any(r["pending"] for r in rows)
    assert [c[0] for c in progress_calls[-2:]] == [email, email]
    assert progress_calls[-1][1:5] == ("opsporing", 0.0, EX.auto_points, False)
    assert elapsed < 30


def test_partial_multiple_choice_gets_no_points(grader):
    a = answers(True)
    a["tegn-hos-barn"] = ["a", "b"]  # two of four right
    a["audit-c"] = ["a", "b", "c", "d"]  # all right plus a wrong one
    _, fut = grader.submit("lars.dahl@eksempel-kommune.example", "opsporing", a)
    res = fut.result(timeout=60)
    by_id = {r["id"]: r for r in res["questions"]}
    assert by_id["tegn-hos-barn"]["status"] == by_id["audit-c"]["status"] == "forkert"
    assert res["score"] == EX.auto_points - 2


def test_bad_input_writes_nothing_and_leaves_others_untouched(grader, course):
    email = "bad.input@eksempel-kommune.example"
    before = history(course, "sofie.holm@eksempel-kommune.example", "opsporing")
    for bad in (
        {**answers(), "ugegraense": "z"},
        {k: v for k, v in answers().items() if k != "audit-c"},
        {**answers(), "egen-praksis": "x" * 5000},
        {**answers(), "egen-praksis": "a\x00b"},
        "svar",
    ):
        with pytest.raises(AnswerError):
            grader.submit(email, "opsporing", bad)
    assert not (course / "attempts" / student_id(email)).exists()
    assert not (course / "submitted" / student_id(email)).exists()
    assert history(course, "sofie.holm@eksempel-kommune.example", "opsporing") == before


def test_tampered_release_is_refused_without_a_write(grader, course):
    rel = release_path(course, "opsporing")
    original = rel.read_bytes()
    try:
        rel.write_bytes(original.replace(b"raise NotImplementedError()", b"import os"))
        with pytest.raises(BuildError, match="changed after it was built"):
            grader.submit("tamper@eksempel-kommune.example", "opsporing", answers())
        assert not (course / "attempts" / student_id("tamper@eksempel-kommune.example")).exists()
    finally:
        rel.write_bytes(original)


def test_two_clicks_of_one_learner_at_once(grader, course, progress_calls):
    """Two clicks at once: one hand-in is graded, the other is told it is being graded
    (Danish) and nothing of it is written or queued."""
    email = "dobbelt.klik@eksempel-kommune.example"
    futures, refused, errors = [], [], []

    def click(correct):
        try:
            futures.append(grader.submit(email, "opsporing", answers(correct))[1])
        except AlreadyPending as exc:
            refused.append(str(exc))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=click, args=(c,)) for c in (True, False)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(futures) == 1 and refused == [PENDING_MESSAGE]
    assert futures[0].result(timeout=120)["opgave"] == "opsporing"
    rows = history(course, email, "opsporing")
    assert len(rows) == 1 and rows[0]["result"]
    # once graded, the next hand-in is accepted again
    _, fut = grader.submit(email, "opsporing", answers(False))
    assert fut.result(timeout=120)["passed"] is False
    assert len(history(course, email, "opsporing")) == 2


@pytest.mark.slow
def test_twenty_learners_at_once(grader, course, progress_calls):
    learners = [(f"laerer{i:02d}@eksempel-kommune.example", i % 2 == 0) for i in range(20)]
    futures = {}
    lock = threading.Lock()

    def go(email, correct):
        _, fut = grader.submit(email, "opsporing", answers(correct))
        with lock:
            futures[email] = (fut, correct)

    threads = [threading.Thread(target=go, args=lt) for lt in learners]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(futures) == 20
    for email, (fut, correct) in futures.items():
        res = fut.result(timeout=300)
        assert res["passed"] is correct, email
        assert res["score"] == (EX.auto_points if correct else 0)
    assert not pending_attempts(course)


def test_answer_key_absent_from_feedback(grader, course):
    from rusfokus.exercises.course import make_api

    email = "feedback@eksempel-kommune.example"
    grader.submit(email, "opsporing", answers(False))[1].result(timeout=60)
    api = make_api(course)
    out = api.generate_feedback("opsporing", student_id(email), force=True)
    assert out["success"], out.get("error")
    html = (course / "feedback" / student_id(email) / "opsporing" / "opsporing.html").read_text(encoding="utf-8")
    assert "HIDDEN TESTS" not in html and "svar_ugegraense ==" not in html and "sorted(svar_" not in html


KILL_SCRIPT = """
import sys
from pathlib import Path
from rusfokus.exercises.course import exercise, make_api
from rusfokus.exercises.grading import grade_attempt
from rusfokus.exercises.store import save_attempt
course = Path(sys.argv[1])
answers = {answers!r}
content = Path(sys.argv[2])
attempt = save_attempt(course, "kill.ni@eksempel-kommune.example", exercise("opsporing", content), answers)
print("SAVED", attempt.stamp, flush=True)
grade_attempt(make_api(course), attempt, content_dir=content)
print("GRADED", flush=True)
"""


def test_kill_9_mid_grading_stays_pending_then_grade_pending_grades_it(course, progress_calls):
    script = KILL_SCRIPT.format(answers=answers(True))
    proc = subprocess.Popen(
        [sys.executable, "-c", script, str(course), str(TEST_CONTENT)],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    line = proc.stdout.readline()
    assert line.startswith("SAVED"), line
    stamp = line.split()[1]
    placed = course / "submitted" / student_id("kill.ni@eksempel-kommune.example") / "opsporing" / "timestamp.txt"
    deadline = time.time() + 30
    while time.time() < deadline:  # wait until grading has started: nbgrader's copy is in place
        if placed.exists() and placed.read_text() == stamp_to_nbgrader(stamp):
            break
        time.sleep(0.01)
    else:
        pytest.fail("grading never started")
    time.sleep(0.2)
    assert proc.poll() is None, "grading finished before the kill"
    os.killpg(proc.pid, signal.SIGKILL)  # the process and the grading kernel it started
    proc.wait(timeout=10)
    pend = [a for a in pending_attempts(course) if a.stamp == stamp]
    assert len(pend) == 1 and pend[0].notebook.exists() and not pend[0].result_file.exists()
    graded, failed = grade_pending(course, content_dir=TEST_CONTENT)
    assert (graded, failed) == (1, 0)
    result = json.loads(pend[0].result_file.read_text(encoding="utf-8"))
    assert result["passed"] and not pend[0].is_pending
    assert progress_calls and progress_calls[-1][0] == "kill.ni@eksempel-kommune.example"


def test_manual_grade_replaces_afventer(grader, course):
    from nbgrader.api import Gradebook

    from rusfokus.exercises.course import gradebook_url
    from rusfokus.exercises.grading import refresh_manual

    email = "manuel.bedoemt@eksempel-kommune.example"
    _, fut = grader.submit(email, "opsporing", answers(True))
    res = fut.result(timeout=60)
    assert refresh_manual(course, email, res)["pending_manual"] is True
    with Gradebook(gradebook_url(course)) as gb:  # what formgrader does when a nøgleperson gives points
        grade = gb.find_grade("svar_egen_praksis", "opsporing", "opsporing", student_id(email))
        grade.manual_score = 2
        grade.needs_manual_grade = False  # as formgrader's grade API does on save
        gb.db.commit()
    fresh = refresh_manual(course, email, res)
    row = next(r for r in fresh["questions"] if r["id"] == "egen-praksis")
    assert fresh["pending_manual"] is False and row == {**row, "status": "bedømt", "score": 2.0}


def test_read_result_names_missing_grade(grader, course):
    from rusfokus.exercises.course import make_api
    from rusfokus.exercises.grading import GradingError
    from rusfokus.exercises.store import Attempt

    with pytest.raises(GradingError, match="no gradebook entry"):
        read_result(make_api(course), EX, Attempt(course, "ingen@eksempel-kommune.example", "opsporing", "x"))


def test_forget_learner_erases_answers_and_gradebook_rows(grader, course):
    from nbgrader.api import Gradebook, MissingEntry

    from rusfokus.exercises.course import gradebook_url
    from rusfokus.exercises.store import forget_learner

    email, other = "glem.mig@eksempel-kommune.example", "bliv.her@eksempel-kommune.example"
    for who in (email, other):
        grader.submit(who, "opsporing", answers(True))[1].result(timeout=60)
    out = forget_learner(course, email)
    assert out["gradebook"] and set(out["folders"]) >= {"attempts", "submitted", "autograded"}
    assert not any((course / part / student_id(email)).exists() for part in ("attempts", "submitted", "autograded"))
    with Gradebook(gradebook_url(course)) as gb:
        with pytest.raises(MissingEntry):
            gb.find_student(student_id(email))
        assert gb.find_submission("opsporing", student_id(other)).score == EX.auto_points
    assert history(course, other, "opsporing")[-1]["result"]["passed"]
