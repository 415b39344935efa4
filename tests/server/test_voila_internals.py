"""Voilà's (and nbgrader's) internals are used in one module, against the versions pinned there and in pyproject."""

import ast
import re
import tomllib

from rusfokus import voila_internals

from helpers.paths import ROOT

SRC = ROOT / "src" / "rusfokus"
FENCED = ("voila", "jupyter_server")  # nbgrader is used where grading needs it (exercises/), pinned here too


def test_installed_versions_are_the_pinned_ones():
    problems = voila_internals.version_problems()
    assert not problems, (
        "\n".join(problems) + "\n\nThe server depends on internals of these packages.\n" + voila_internals.RECHECK
    )


def test_pyproject_pins_the_same_versions():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    pins = {}
    for dep in deps:
        m = re.fullmatch(r"([A-Za-z0-9_.-]+)\s*==\s*([0-9][^,;\s]*)", dep.strip())
        if m:
            pins[m.group(1).lower().replace("-", "_")] = m.group(2)
    for name, pinned in voila_internals.PINNED.items():
        assert pins.get(name) == pinned, (
            f"pyproject.toml must pin {name}=={pinned} (rusfokus/voila_internals.py PINNED)"
        )


def test_only_the_fence_imports_voila_or_jupyter_server():
    offenders = []
    for path in SRC.rglob("*.py"):
        if path.name == "voila_internals.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                if name.split(".")[0] in FENCED:
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}: imports {name}")
    assert not offenders, "use rusfokus.voila_internals instead:\n" + "\n".join(offenders)


def test_the_fenced_voila_parts_are_still_there():
    """What the fence relies on in the installed Voilà (a changed Voilà fails here, not in a learner's page)."""
    handler = voila_internals.RequestInfoSocketHandler
    assert isinstance(handler._cache, dict) and isinstance(handler._waiters, dict)
    for name in ("setup_template_dirs", "init_settings", "init_handlers", "listen"):
        assert callable(getattr(voila_internals.Voila, name)), name
    import inspect

    from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
    from voila.voila_kernel_manager import voila_kernel_manager_factory

    pool = voila_kernel_manager_factory(AsyncMappingKernelManager, preheat_kernel=True, default_pool_size=1)
    assert inspect.iscoroutinefunction(pool.get_rendered_notebook)  # what KernelRecorder wraps


def test_forget_request_info_and_drop_waiter_touch_only_their_kernel():
    handler = voila_internals.RequestInfoSocketHandler
    a, b = object(), object()
    handler._cache.update({"k-a": "{}", "k-b": "{}"})
    handler._waiters.update({"k-a": a, "k-b": b})
    try:
        voila_internals.forget_request_info("k-a")
        voila_internals.drop_waiter(a)
        voila_internals.drop_waiter(object())  # a refused browser: no kernel's waiter goes
        assert "k-a" not in handler._cache and "k-b" in handler._cache
        assert handler._waiters.get("k-b") is b and "k-a" not in handler._waiters
    finally:
        for key in ("k-a", "k-b"):
            handler._cache.pop(key, None)
            handler._waiters.pop(key, None)


def test_the_kernels_request_info_client_is_voilas_own_protocol(monkeypatch):
    """rusfokus.voila_request repeats voila.utils.wait_for_request without importing Voilà: over a real socket,
    both ask at the same URL and put the same variables into the environment (and both do nothing outside a
    preheated kernel)."""
    import json
    import os
    import threading

    from voila import utils as voila_utils
    from websockets.sync.server import serve

    from rusfokus import voila_request

    asked: list[str] = []
    sent = {"HTTP_COOKIE": "rf_learner=abc.def", "QUERY_STRING": "opgave=opsporing"}

    def handler(socket):
        asked.append(socket.request.path)
        socket.send(json.dumps(sent))

    with serve(handler, "127.0.0.1", 0) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        port = server.socket.getsockname()[1]
        for name, value in {
            "VOILA_PREHEAT": "True",
            "VOILA_APP_PORT": str(port),
            "VOILA_KERNEL_ID": "11111111-2222-3333-4444-555555555555",
            "VOILA_SERVER_URL": "/",
        }.items():
            monkeypatch.setenv(name, value)
        results = []
        for wait in (voila_utils.wait_for_request, voila_request.wait_for_request):
            for key in sent:
                monkeypatch.delenv(key, raising=False)
            wait()
            results.append({key: os.environ.get(key) for key in sent})
        server.shutdown()
    assert results == [sent, sent]
    assert asked == ["/voila/query/11111111-2222-3333-4444-555555555555"] * 2
    assert voila_request.request_info_url() == f"ws://127.0.0.1:{port}/voila/query/11111111-2222-3333-4444-555555555555"
    assert {"VOILA_PREHEAT", "VOILA_APP_PORT", "VOILA_KERNEL_ID", "VOILA_SERVER_URL", "VOILA_WS_BASE_URL"} <= {
        v.value for v in voila_utils.ENV_VARIABLE
    }
    monkeypatch.setenv("VOILA_PREHEAT", "False")
    voila_request.wait_for_request()  # returns at once: no socket
    assert len(asked) == 2


def test_a_request_info_socket_that_gives_no_request_leaves_the_environment_alone(monkeypatch):
    """Refused at the handshake, closed without a message, or nothing listening: wait_for_request returns without
    a cookie (each app then shows its Danish notice) instead of raising in the app's kernel."""
    import os
    import socket
    import threading
    from http import HTTPStatus

    from websockets.sync.server import serve

    from rusfokus import voila_request

    def refuse(connection, request):
        return connection.respond(HTTPStatus.FORBIDDEN, "no\n")

    def close_at_once(socket):
        socket.close()

    monkeypatch.setenv("VOILA_PREHEAT", "True")
    monkeypatch.setenv("VOILA_KERNEL_ID", "11111111-2222-3333-4444-555555555555")
    monkeypatch.delenv("HTTP_COOKIE", raising=False)
    for handler, process_request in ((close_at_once, None), (close_at_once, refuse)):
        with serve(handler, "127.0.0.1", 0, process_request=process_request) as server:
            threading.Thread(target=server.serve_forever, daemon=True).start()
            monkeypatch.setenv("VOILA_APP_PORT", str(server.socket.getsockname()[1]))
            voila_request.wait_for_request()
            server.shutdown()
        assert "HTTP_COOKIE" not in os.environ
    with socket.socket() as closed:  # a port nobody listens on
        closed.bind(("127.0.0.1", 0))
        monkeypatch.setenv("VOILA_APP_PORT", str(closed.getsockname()[1]))
    voila_request.wait_for_request()
    assert "HTTP_COOKIE" not in os.environ
