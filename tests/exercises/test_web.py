"""HTTP routes (real tornado, real grading) and the exercise app widgets driven by .value/.click()."""

import asyncio
import json
import threading
import urllib.error
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import ipywidgets as widgets
import pytest
import tornado.httpserver
import tornado.testing
import tornado.web

from rusfokus import identity
from rusfokus.apps.opgave import ExerciseApp
from rusfokus.exercises import client, web
from rusfokus.exercises.course import student_id
from rusfokus.exercises.schema import answer_sheet, load_exercise
from rusfokus.identity import web as identity_web
from rusfokus.settings import Settings

from helpers.course import built_course

TEST_CONTENT = Path(__file__).resolve().parents[2] / "modules"  # the shipped content root

TEST_SECRET = b"test-secret-k1-" * 4  # the server key these tests sign and revoke with

# slow: a course build and real grading over HTTP
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
YML = ROOT / "modules" / "01-opsporing" / "data" / "opgave.yml"
EX = load_exercise(YML)
EMAIL = "maja.kjaer@eksempel-kommune.example"


def answers(correct=True):
    return answer_sheet(EX, correct, "Jeg taler med forælderen og min nøgleperson.")


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    from rusfokus.settings import get_settings

    mp = pytest.MonkeyPatch()
    home = tmp_path_factory.mktemp("home")
    mp.setenv("RUSFOKUS_HOME", str(home))
    (home / "secret.key").write_bytes(TEST_SECRET)  # the server's key: it checks what the tests sign
    mp.setenv("RUSFOKUS_DB", f"sqlite:///{home / 'rusfokus.db'}")
    get_settings.cache_clear()
    import rusfokus.progress.hooks as hooks

    calls = []
    mp.setattr(hooks, "on_graded", lambda *a, **k: calls.append(a))
    course = tmp_path_factory.mktemp("course")
    built_course(course, "opsporing")  # built once per run, a copy of its own
    settings = Settings.from_env(course_dir=course)
    sock, port = tornado.testing.bind_unused_port()
    ready = threading.Event()
    holder = {}

    def run():
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        app = tornado.web.Application(web.routes(settings) + identity_web.routes(settings))  # /adgang/
        server = tornado.httpserver.HTTPServer(app)
        server.add_sockets([sock])
        web.startup(settings)
        holder["loop"] = loop
        ready.set()
        loop.run_forever()

    threading.Thread(target=run, daemon=True).start()
    ready.wait(10)
    yield SimpleNamespace(course=course, base=f"http://127.0.0.1:{port}/", calls=calls)
    holder["loop"].call_soon_threadsafe(holder["loop"].stop)
    web.shutdown(settings)
    mp.undo()
    get_settings.cache_clear()


def post(base, body, token=None, raw=None):
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    data = raw if raw is not None else json.dumps(body).encode()
    req = urllib.request.Request(base + "api/opgave/aflever", data=data, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_hand_in_over_http_is_graded(env):
    code, body = client.submit(EMAIL, "opsporing", answers(True), base=env.base, secret=TEST_SECRET)
    assert code == 200 and body["status"] == "rettet"
    assert body["resultat"]["passed"] and body["resultat"]["score"] == EX.auto_points
    code, status = client.status(EMAIL, "opsporing", base=env.base, secret=TEST_SECRET)
    assert code == 200 and status["forsoeg"][-1]["bestaaet"] is True
    assert status["seneste"]["pending_manual"] is True
    assert env.calls and env.calls[-1][0] == EMAIL


@pytest.mark.parametrize("token_kind", ["none", "garbage", "tampered", "admin"])
def test_forged_identity_is_refused_with_danish_message(env, token_kind):
    good = identity.learner_token("offer@eksempel-kommune.example", secret=TEST_SECRET)
    token = {
        "none": None,
        "garbage": "abc",
        "admin": identity.admin_token("offer@eksempel-kommune.example", secret=TEST_SECRET),
        "tampered": identity.learner_token("angriber@eksempel-kommune.example", secret=TEST_SECRET).split(".")[0]
        + "."
        + good.split(".")[1],
    }[token_kind]
    code, body = post(env.base, {"opgave": "opsporing", "svar": answers()}, token)
    assert code == 403 and body["status"] == "fejl"
    assert any(w in body["fejl"] for w in ("link", "Link"))
    assert not (env.course / "attempts" / student_id("offer@eksempel-kommune.example")).exists()
    assert not (env.course / "attempts" / student_id("angriber@eksempel-kommune.example")).exists()


def test_bare_learner_query_parameter_is_not_an_identity(env):
    req = urllib.request.Request(env.base + "api/opgave/status?opgave=opsporing&learner=" + EMAIL)
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(req, timeout=30)
    assert exc.value.code == 403


@pytest.mark.parametrize(
    "header",
    [
        "X-Remote-User",
        "X-Forwarded-User",
        "Remote-User",
        "X-Forwarded-Email",
        "X-Auth-Request-Email",
        "X-Jupyterhub-User",
    ],
)
def test_forwarded_user_headers_are_not_an_identity(env, header):
    """Regression (issue 12, held): a header a browser can set never names the learner."""
    victim = "header.offer@eksempel-kommune.example"
    req = urllib.request.Request(
        env.base + "api/opgave/aflever",
        method="POST",
        data=json.dumps({"opgave": "opsporing", "svar": answers()}).encode(),
        headers={"Content-Type": "application/json", header: victim},
    )
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(req, timeout=30)
    assert exc.value.code == 403
    req = urllib.request.Request(env.base + "api/opgave/status?opgave=opsporing", headers={header: victim})
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(req, timeout=30)
    assert exc.value.code == 403
    assert not (env.course / "attempts" / student_id(victim)).exists()


def test_second_click_while_pending_gets_danish_message_over_http(env):
    """Issue 12, item 1: the second hand-in is not queued again."""
    token = identity.learner_token("to.klik@eksempel-kommune.example", secret=TEST_SECRET)
    replies = []
    threads = [
        threading.Thread(
            target=lambda: replies.append(post(env.base, {"opgave": "opsporing", "svar": answers()}, token))
        )
        for _ in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    codes = sorted(code for code, _ in replies)
    assert codes == [200, 409], replies
    refused = next(body for code, body in replies if code == 409)
    assert refused["status"] == "afventer" and refused["fejl"].startswith("Din aflevering bliver rettet")
    assert (
        len(
            list(
                (env.course / "attempts" / student_id("to.klik@eksempel-kommune.example") / "opsporing").glob("*.ipynb")
            )
        )
        == 1
    )


def test_bad_requests_get_clear_danish_messages(env):
    token = identity.learner_token("bad.req@eksempel-kommune.example", secret=TEST_SECRET)
    code, body = post(env.base, {"opgave": "opsporing", "svar": {**answers(), "ugegraense": "q"}}, token)
    assert code == 400 and body["spoergsmaal"] == "ugegraense" and "ikke et af valgene" in body["fejl"]
    code, body = post(env.base, None, token, raw=b"\xff\xfe not json")
    assert code == 400 and "kunne ikke læses" in body["fejl"]
    code, body = post(env.base, {"opgave": "findes-ikke", "svar": {}}, token)
    assert code == 503 and "nøgleperson" in body["fejl"]
    code, body = post(env.base, {"opgave": "../../etc", "svar": {}}, token)
    assert code == 503
    code, body = post(env.base, {"opgave": "opsporing", "svar": {**answers(), "egen-praksis": "x" * 70000}}, token)
    assert code == 413
    assert not (env.course / "attempts" / student_id("bad.req@eksempel-kommune.example")).exists()


def test_personal_link_sets_httponly_signed_cookie(env):
    token = identity.learner_token(EMAIL, secret=TEST_SECRET)

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *a, **k):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as exc:
        opener.open(env.base + "adgang/" + token, timeout=30)
    resp = exc.value
    assert resp.code == 302 and resp.headers["Location"] == "/"
    cookie = resp.headers["Set-Cookie"]
    assert cookie.startswith(f"{identity.LEARNER_COOKIE}={token}") or f'{identity.LEARNER_COOKIE}="{token}"' in cookie
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert identity.learner_from_cookie_header(f"{identity.LEARNER_COOKIE}={token}", secret=TEST_SECRET) == EMAIL
    with pytest.raises(urllib.error.HTTPError) as exc:
        opener.open(env.base + "adgang/" + token[:-3] + "AAA", timeout=30)
    assert exc.value.code == 403
    page = exc.value.read().decode()
    assert 'lang="da"' in page and "Linket virker ikke" in page and "Set-Cookie" not in str(exc.value.headers)


def _all_widget_state(since: frozenset = frozenset()) -> str:
    """The state of every live widget, or of those made after the snapshot ``since``
    (never ``Widget.close_all()``: other apps' module-level shared layouts must stay open)."""
    return json.dumps([w.get_state() for k, w in list(widgets.Widget.widgets.items()) if k not in since], default=str)


def _fill(app, chosen):
    for box in app.boxes:
        value = chosen[box.q.id]
        if box.q.type == "refleksion":
            box.text.value = value
        elif box.q.multiple:
            for opt, check in zip(box.q.valg, box.checks, strict=True):
                check.value = opt.id in value
        else:
            box.radio.value = value


def _widget_index(app, widget) -> int:
    return app.children[0].children.index(widget)


def test_app_click_to_score_through_http(env):
    """Deliverable 4: pass mark before the first question, marks and explanations in place after
    a real (nbgrader) grading, the hand-in dated, a pass links to the kursusbevis."""
    from rusfokus.apps.opgave import certificate_url, dansk_tid

    app = ExerciseApp(
        EX,
        lambda a: client.submit(EMAIL, "opsporing", a, base=env.base, secret=TEST_SECRET),
        cert_url=certificate_url("opsporing"),
    )
    state = _all_widget_state()
    for q in EX.spoergsmaal:
        assert q.forklaring.splitlines()[0] not in state, q.id  # no key/explanation before hand-in
    assert "Du skal have mindst 70 % rigtige for at bestå." in app.info.value
    assert _widget_index(app, app.info) < _widget_index(app, app.boxes[0])
    assert all(b.feedback.value == "" for b in app.boxes) and "kursusbevis" not in app.result.value
    _fill(app, answers(True))
    refl = next(b for b in app.boxes if b.q.type == "refleksion")
    assert "af højst 1500 tegn" in refl.count.value
    app.button.click()
    assert "afleveret og rettet" in app.message.value
    assert "Du har bestået" in app.result.value and "afventer bedømmelse" in app.result.value
    for box in app.boxes:  # every question marked in place, with its own explanation
        q = next(q for q in EX.spoergsmaal if q.id == box.q.id)
        want = "Afventer bedømmelse" if q.type == "refleksion" else "Rigtigt"
        assert want in box.feedback.value and q.forklaring.splitlines()[0] in box.feedback.value, q.id
        assert "Forkert" not in box.feedback.value
    assert "Sundhedsstyrelsen anbefaler højst 10 genstande" in app.boxes[0].feedback.value
    assert 'href="/api/progress/mine/kursusbevis/opsporing.pdf"' in app.result.value
    assert "Hent dit kursusbevis" in app.result.value
    stamp = sorted((env.course / "attempts" / student_id(EMAIL) / "opsporing").glob("*.result.json"))[-1].name[:23]
    assert f"Sidst afleveret {dansk_tid(stamp)} – 100 % – bestået." in app.info.value
    assert f"Afleveret {dansk_tid(stamp)}." in app.result.value
    assert not app.button.disabled


def test_wrong_answers_are_marked_wrong_in_place_and_a_fail_has_no_kursusbevis(env):
    email = "forkert.svar@eksempel-kommune.example"
    from rusfokus.apps.opgave import certificate_url

    app = ExerciseApp(
        EX,
        lambda a: client.submit(email, "opsporing", a, base=env.base, secret=TEST_SECRET),
        cert_url=certificate_url("opsporing"),
    )
    wrong = answers(False)
    right = answers(True)
    mixed = {**wrong, EX.spoergsmaal[0].id: right[EX.spoergsmaal[0].id]}
    _fill(app, mixed)
    app.button.click()
    assert "Du har ikke bestået endnu" in app.result.value and "mindst 70 % rigtige" in app.result.value
    assert "kursusbevis" not in app.result.value
    first, second = app.boxes[0], app.boxes[1]
    assert "Rigtigt" in first.feedback.value and "rf-mark-rigtigt" in first.feedback.value
    assert "Forkert" in second.feedback.value and "rf-mark-forkert" in second.feedback.value
    assert EX.spoergsmaal[1].forklaring.splitlines()[0] in second.feedback.value
    assert 'href="#rf-q-' + second.q.id + '"' in app.result.value  # the summary points to the mark
    # changing an answer after the hand-in: the mark says it is for the handed-in answer
    second.radio.value = right[second.q.id] if not second.q.multiple else None
    assert "Du har ændret dit svar" in second.feedback.value and "Forkert" in second.feedback.value
    second.radio.value = wrong[second.q.id]
    assert "Du har ændret dit svar" not in second.feedback.value


def test_draft_survives_a_reload_and_is_never_graded(env):
    """Drafts are saved server side per learner, restored when the app opens, and the hand-in
    (not the draft) is what is graded."""
    from rusfokus.apps.opgave import open_app
    from rusfokus.exercises.store import draft_file

    email = "kladde@eksempel-kommune.example"
    before = frozenset(widgets.Widget.widgets)  # earlier tests' graded apps: only this learner's widgets count
    app = open_app(EX, email, base=env.base, draft_delay=0, secret=TEST_SECRET)
    assert app.draft_note.value == "" and all(b.answer() in (None, [], "") for b in app.boxes)
    right = answers(True)
    first = app.boxes[0]
    first.radio.value = right[first.q.id]  # one click: saved at once
    saved = json.loads(draft_file(env.course, email, "opsporing").read_text(encoding="utf-8"))
    assert saved["svar"][first.q.id] == right[first.q.id]
    assert "gemt som kladde" in app.draft_note.value
    refl = next(b for b in app.boxes if b.q.type == "refleksion")
    refl.text.value = "Jeg skriver ned, hvad jeg ser."
    multi = next(b for b in app.boxes if b.q.multiple)
    for opt, check in zip(multi.q.valg, multi.checks, strict=True):
        check.value = opt.id in right[multi.q.id]
    again = open_app(EX, email, base=env.base, secret=TEST_SECRET)  # the reload
    assert again.boxes[0].answer() == right[first.q.id]
    assert next(b for b in again.boxes if b.q.type == "refleksion").answer() == "Jeg skriver ned, hvad jeg ser."
    assert sorted(next(b for b in again.boxes if b.q.multiple).answer()) == sorted(right[multi.q.id])
    assert "gemt som kladde" in again.draft_note.value
    assert all(b.feedback.value == "" for b in again.boxes)  # nothing handed in: no marks, no keys
    state = _all_widget_state(before)
    for q in EX.spoergsmaal:
        assert q.forklaring.splitlines()[0] not in state, q.id
    code, st = client.status(
        email, "opsporing", base=env.base, secret=TEST_SECRET
    )  # a draft, no hand-in: no explanations sent
    assert code == 200 and st["kladde"]["svar"][first.q.id] == right[first.q.id] and st["seneste"] is None
    for q in EX.spoergsmaal:
        assert q.forklaring.splitlines()[0] not in json.dumps(st, ensure_ascii=False), q.id
    # another learner never sees her draft
    other = open_app(EX, "en.anden@eksempel-kommune.example", base=env.base, secret=TEST_SECRET)
    assert other.boxes[0].answer() is None
    # the draft is all right; the hand-in is all wrong: the hand-in counts
    client.save_draft(email, "opsporing", right, base=env.base, secret=TEST_SECRET)
    code, body = client.submit(email, "opsporing", answers(False), base=env.base, secret=TEST_SECRET)
    assert code == 200 and not body["resultat"]["passed"] and body["resultat"]["score"] == 0


def test_reload_after_a_hand_in_shows_marks_in_place_dated(env):
    from rusfokus.apps.opgave import dansk_tid, open_app

    email = "genindlaes@eksempel-kommune.example"
    app = open_app(EX, email, base=env.base, draft_delay=0, secret=TEST_SECRET)
    _fill(app, answers(True))
    app.button.click()
    assert "Du har bestået" in app.result.value
    again = open_app(EX, email, base=env.base, secret=TEST_SECRET)
    stamp = json.loads(
        next((env.course / "attempts" / student_id(email) / "opsporing").glob("*.result.json")).read_text(
            encoding="utf-8"
        )
    )["stamp"]
    assert f"Sidst afleveret {dansk_tid(stamp)}" in again.info.value
    assert "Rigtigt" in again.boxes[0].feedback.value and "Du har ændret" not in again.boxes[0].feedback.value
    assert again.answers() == app.answers()
    assert "Hent dit kursusbevis" in again.result.value
    # the handed-in answers come back from the attempt even without a draft
    from rusfokus.exercises.store import draft_file

    draft_file(env.course, email, "opsporing").unlink()
    third = open_app(EX, email, base=env.base, secret=TEST_SECRET)
    assert third.boxes[0].answer() == answers(True)[EX.spoergsmaal[0].id]
    assert "Du har ændret" not in "".join(b.feedback.value for b in third.boxes)


def test_a_pending_hand_in_sends_no_explanations(env):
    """The key's reasons reach the learner only with a graded result, never while it waits."""
    from rusfokus.apps.opgave import open_app
    from rusfokus.exercises.course import exercise
    from rusfokus.exercises.store import save_attempt

    email = "venter.paa.svar@eksempel-kommune.example"
    save_attempt(env.course, email, exercise("opsporing", TEST_CONTENT), answers(True))  # pending, not graded
    code, st = client.status(email, "opsporing", base=env.base, secret=TEST_SECRET)
    assert code == 200 and st["forsoeg"][-1]["afventer"] and st["seneste"] is None
    text = json.dumps(st, ensure_ascii=False)
    before = frozenset(widgets.Widget.widgets)
    app = open_app(EX, email, base=env.base, secret=TEST_SECRET)
    text += _all_widget_state(before)
    for q in EX.spoergsmaal:
        assert q.forklaring.splitlines()[0] not in text, q.id
    assert "bliver rettet" in app.info.value and "Din aflevering bliver rettet" in app.message.value


def test_draft_api_refuses_strangers_and_bad_drafts(env):
    from rusfokus.exercises.store import draft_file

    def put(body, token):
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        req = urllib.request.Request(
            env.base + "api/opgave/kladde", data=json.dumps(body).encode(), headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    email = "kladde.fejl@eksempel-kommune.example"
    q1 = EX.spoergsmaal[0]
    code, body = put({"opgave": "opsporing", "svar": {q1.id: q1.valg[0].id}}, None)
    assert code == 403 and "link" in body["fejl"]
    token = identity.learner_token(email, secret=TEST_SECRET)
    for svar in (
        {q1.id: "zz"},
        {"findes-ikke": "a"},
        {q1.id: ["a"]},
        "tekst",
        {next(q.id for q in EX.spoergsmaal if q.type == "refleksion"): "x" * 5000},
    ):
        code, body = put({"opgave": "opsporing", "svar": svar}, token)
        assert code == 400 and body["fejl"], svar
    code, body = put({"opgave": "../../etc", "svar": {}}, token)
    assert code == 503
    assert not draft_file(env.course, email, "opsporing").exists()  # nothing half-written
    code, body = put({"opgave": "opsporing", "svar": {q1.id: None}}, token)
    assert code == 200 and body["status"] == "gemt"


def test_app_missing_answer_and_identity_error(env):
    from rusfokus.apps.opgave import NO_IDENTITY

    sent = []
    app = ExerciseApp(EX, lambda a: sent.append(a) or (200, {}))
    chosen = answers(True)
    _fill(app, chosen)
    app.boxes[2].radio.value = None
    app.button.click()
    assert "Du mangler at vælge et svar i spørgsmål 3" in app.message.value and not sent
    app2 = ExerciseApp(EX, None, identity_error=NO_IDENTITY)
    assert app2.button.disabled and app2.notice.value.count('role="alert"') == 1
    assert "Du er ikke logget ind med dit personlige link" in app2.notice.value
    assert "bliver ikke gemt" in app2.notice.value and "kan ikke aflevere" in app2.notice.value
    # told at the top, before the first question
    assert _widget_index(app2, app2.notice) < _widget_index(app2, app2.boxes[0])
    app2.button.click()
    assert app2.result.value == ""
    app3 = ExerciseApp(EX, None, identity_error="Linket er udløbet. Bed om et nyt.")
    assert app3.notice.value.index("Linket er udløbet") < app3.notice.value.index("Du er ikke logget ind")


def test_app_shows_server_refusal(env):
    app = ExerciseApp(EX, lambda a: (403, {"status": "fejl", "fejl": "Dit personlige link er ugyldigt eller ændret."}))
    _fill(app, answers(True))
    app.button.click()
    assert "ugyldigt eller ændret" in app.message.value and app.result.value == ""


def test_app_says_the_last_hand_in_is_being_graded_and_a_failed_one_can_be_handed_in_again(env):
    from rusfokus.apps.opgave import history_html
    from rusfokus.exercises.grading import PENDING_MESSAGE

    app = ExerciseApp(EX, lambda a: (409, {"status": "afventer", "fejl": PENDING_MESSAGE}))
    _fill(app, answers(True))
    app.button.click()
    assert "Din aflevering bliver rettet" in app.message.value and 'role="status"' in app.message.value
    assert not app.button.disabled and app.result.value == ""
    row = {"stamp": "20261202T080000.000000Z", "afventer": False, "fejlet": True, "pct": None, "bestaaet": None}
    assert "kunne ikke rettes – aflever igen" in history_html([row])


def test_server_start_grades_what_was_left_pending(env):
    from rusfokus.exercises.course import exercise
    from rusfokus.exercises.store import Attempt, save_attempt

    email = "efter.nedbrud@eksempel-kommune.example"
    attempt = save_attempt(env.course, email, exercise("opsporing", TEST_CONTENT), answers(True))
    assert attempt.is_pending  # on disk and pending, as after a crash before grading
    web.startup(Settings.from_env(course_dir=env.course))
    web.get_grader(env.course).join()
    again = Attempt(env.course, email, "opsporing", attempt.stamp)
    assert not again.is_pending and json.loads(again.result_file.read_text(encoding="utf-8"))["passed"]
