"""The kernel side of Voilà's request-info socket, without importing Voilà.

A preheated kernel runs its notebook before anyone asks for the page. The apps that need the page's
request (the Cookie header: opgave, Min side, the dashboard) first wait until Voilà hands the kernel
to a page; Voilà's request-info socket then sends that request as a JSON object of environment
variables. ``voila.utils.wait_for_request`` does this, but importing ``voila.utils`` imports
jupyter_server and jupyterlab_server into the app's kernel: 0.5-0.7 s of CPU for every such page and
the memory of a web server in a kernel that never serves one. This is the same protocol with the
same environment variables, written against the Voilà version in
``rusfokus.voila_internals.PINNED``; ``tests/server/test_voila_internals.py`` checks it against
Voilà's own function over a real socket.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from concurrent.futures import ThreadPoolExecutor

import websockets
from websockets.exceptions import WebSocketException

log = logging.getLogger("rusfokus.voila_request")

OPEN_TIMEOUT_SECONDS = 5  # as Voilà's


def request_info_url() -> str:
    """The request-info socket of this kernel, from the variables Voilà starts its kernels with."""
    protocol = os.getenv("VOILA_WS_PROTOCOL", "ws")
    server_ip = os.getenv("VOILA_APP_IP", "127.0.0.1")
    server_port = os.getenv("VOILA_APP_PORT", "8866")
    server_url = os.getenv("VOILA_SERVER_URL", "/")
    ws_base_url = os.getenv("VOILA_WS_BASE_URL", server_url)
    return f"{protocol}://{server_ip}:{server_port}{ws_base_url}voila/query/{os.getenv('VOILA_KERNEL_ID')}"


async def _receive(url: str) -> str | None:
    try:
        async with websockets.connect(url, open_timeout=OPEN_TIMEOUT_SECONDS) as socket:
            return await socket.recv()
    except (OSError, WebSocketException) as exc:  # refused, timed out, rejected or closed without a request
        log.warning("no request from the request-info socket %s: %s", url, exc)
        return None


def wait_for_request() -> None:
    """In a preheated kernel: wait until a page takes this kernel, then put that request's variables
    (``HTTP_COOKIE``, ``QUERY_STRING``, ...) into ``os.environ``. Outside a preheated kernel: return.
    When the socket gives no request (refused, closed), it returns without them: the app then finds no
    identity and shows its Danish notice, the same for every app that waits here."""
    if os.getenv("VOILA_PREHEAT", "False") == "False":
        return
    # the kernel's own event loop runs in this thread: wait in another one
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="rusfokus-request-info") as waiter:
        received = waiter.submit(asyncio.run, _receive(request_info_url())).result()
    if received is not None:
        for key, value in json.loads(received).items():
            os.environ[key] = value
