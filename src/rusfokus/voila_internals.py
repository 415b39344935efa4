"""Every part of Voilà (and jupyter_server) that rusfokus uses beyond their configuration, in one place.

`rusfokus serve` is a subclass of standalone Voilà (the only mode with kernel pools)
and replaces some of its handlers; the apps wait for Voilà's request-info socket.
None of that is a public, versioned API, so it lives here, and only here:

- the server's base class ``Voila`` and the overridden methods ``setup_template_dirs``,
  ``init_settings``, ``init_handlers``, ``listen`` (with ``self.app``, ``self.template_paths``);
- the handlers the server replaces (``VOILA_HANDLERS``), matched by identity in
  ``Voila.init_handlers()``, and Voilà's URL layout (``CONTENTS_API``, ``STATIC_PREFIXES``);
- the request-info socket: ``RequestInfoSocketHandler`` keeps each kernel's request
  (with the visitor's Cookie header) in the class dict ``_cache`` and its waiting
  kernels in ``_waiters`` (``forget_request_info``, ``drop_waiter``); in the kernel, the
  protocol of ``voila.utils.wait_for_request()``, rewritten without Voilà in ``rusfokus.voila_request``
  (the kernels of opgave, Min side and the dashboard import no web server);
- the kernel pool: ``settings["kernel_manager"]`` of a render handler, whose
  ``get_rendered_notebook()`` returns ``(render_task, rendered, kernel_id)`` for a
  preheated kernel and whose ``start_kernel()`` returns a kernel id (``KernelRecorder``);
  its pools ``_pools[notebook]`` (tasks whose result holds ``kernel_id``), taken from the
  head (``next_pooled_kernel``); ``VoilaConfiguration.multi_kernel_manager_class`` is the
  base class the pool is built on (``rusfokus.server.kernels.KernelBudgetManager``).

Tested against exactly the versions in ``PINNED`` (also pinned in pyproject.toml);
``tests/server/test_voila_internals.py`` fails with the list to re-check when the
installed versions differ. Importing this module imports Voilà and jupyter_server: only the
server does; an app kernel uses ``rusfokus.voila_request``.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from jinja2.bccache import BytecodeCache
from jupyter_core.utils import ensure_async
from jupyter_server.services.kernels.handlers import KernelHandler
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from voila.app import Voila
from voila.exporter import VoilaExporter
from voila.request_info_handler import RequestInfoSocketHandler
from voila.shutdown_kernel_handler import VoilaShutdownKernelHandler
from voila.tornado.handler import TornadoVoilaHandler
from voila.tornado.kernel_websocket_handler import VoilaKernelWebsocketHandler
from voila.tornado.treehandler import TornadoVoilaTreeHandler

PINNED = {"voila": "0.5.13", "jupyter_server": "2.21.1", "nbgrader": "0.9.6"}
"""The versions everything here (and nbgrader's ``Execute``/``Autograde.autograde_preprocessors``,
see ``rusfokus.exercises.spare_execute``) was written and tested against."""

RECHECK = """\
Before changing a pin, re-check against the new version's source:
- voila/app.py: Voila.init_handlers() still returns (pattern, handler[, kwargs]) tuples with the handler
  classes in rusfokus.voila_internals.VOILA_HANDLERS; setup_template_dirs/init_settings/listen unchanged;
- voila/request_info_handler.py: RequestInfoSocketHandler._cache and ._waiters (class dicts by kernel id);
- voila/voila_kernel_manager.py: get_rendered_notebook() -> (render_task, rendered, kernel_id), popping
  _pools[notebook_name][0] with no await before the pop; cull_kernel_if_idle() calling super() for
  kernels not in a pool; jupyter_server's cull_kernel_if_idle(kernel_id) and _kernel_connections;
- voila/utils.py: wait_for_request() and ENV_VARIABLE, which rusfokus/voila_request.py repeats (same variables, same
  socket URL, a JSON object of environment variables);
- voila/notebook_renderer.py: a new VoilaExporter per render; nbconvert's TemplateExporter._create_environment()
  returns the Jinja Environment (share_template_code sets its bytecode_cache);
- nbgrader/converters/autograde.py: Autograde.autograde_preprocessors (rusfokus.exercises.course);
- nbgrader/preprocessors/execute.py: Execute.preprocess(nb, resources, km) (rusfokus.exercises.spare_execute);
then run tests/server, tests/exercises (grading) and tests/e2e, and update PINNED and pyproject.toml."""

VOILA_HANDLERS = {
    "render": TornadoVoilaHandler,
    "tree": TornadoVoilaTreeHandler,
    "request_info": RequestInfoSocketHandler,
    "kernel": KernelHandler,
    "shutdown": VoilaShutdownKernelHandler,
    "kernel_websocket": VoilaKernelWebsocketHandler,
}
CONTENTS_API = "/voila/api/contents"  # Voilà's folder listing API (the server drops it)
STATIC_PREFIXES = ("/voila/static/", "/voila/templates/", "/voila/labextensions/", "/voila/api/themes/")

__all__ = [
    "AsyncMappingKernelManager",
    "CONTENTS_API",
    "PINNED",
    "STATIC_PREFIXES",
    "VOILA_HANDLERS",
    "KernelHandler",
    "KernelRecorder",
    "RequestInfoSocketHandler",
    "TornadoVoilaHandler",
    "TornadoVoilaTreeHandler",
    "Voila",
    "VoilaKernelWebsocketHandler",
    "VoilaShutdownKernelHandler",
    "drop_waiter",
    "forget_request_info",
    "installed_versions",
    "next_pooled_kernel",
    "share_template_code",
    "version_problems",
]


def installed_versions() -> dict[str, str | None]:
    out = {}
    for name in PINNED:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def version_problems() -> list[str]:
    """One line per package whose installed version is not the pinned one (empty: all as pinned)."""
    return [
        f"{name} {got or 'is not installed'} is installed, rusfokus is pinned to {name}=={PINNED[name]}"
        for name, got in installed_versions().items()
        if got != PINNED[name]
    ]


def forget_request_info(kernel_id: str) -> None:
    """Forget the request info (with the visitor's Cookie header) Voilà keeps for a kernel."""
    RequestInfoSocketHandler._cache.pop(kernel_id, None)


def drop_waiter(socket) -> None:
    """Remove exactly this socket from the kernels waiting for their request.

    Voilà's own ``on_close`` deletes the *last* waiter when the closing socket is
    not one of them (a refused browser): a waiting preheated kernel would then
    never get its request, and the next learner's page would hang."""
    waiters = RequestInfoSocketHandler._waiters
    for kernel_id, waiter in list(waiters.items()):
        if waiter is socket:
            del waiters[kernel_id]
            break


def next_pooled_kernel(km, notebook_name: str) -> str | None:
    """The id of the preheated kernel Voilà's ``get_rendered_notebook(notebook_name)`` will take
    next (the head of ``km._pools[notebook_name]``, a task whose result holds ``kernel_id``),
    or None when that kernel is still starting (its idle time is then fresh anyway)."""
    pool = getattr(km, "_pools", {}).get(notebook_name) or []
    if not pool or not pool[0].done() or pool[0].cancelled() or pool[0].exception() is not None:
        return None
    return pool[0].result().get("kernel_id")


class KernelRecorder:
    """Voilà's kernel manager (pool) as seen by one page request: notes the kernel the page gets,
    and (``before``) the pooled kernel it is about to get, before Voilà takes it from its pool."""

    def __init__(self, km, record, before=None):
        self._km, self._record, self._before = km, record, before

    def __getattr__(self, name):
        return getattr(self._km, name)

    async def get_rendered_notebook(self, *args, **kwargs):
        if self._before is not None:
            name = kwargs.get("notebook_name", args[0] if args else None)
            kernel_id = next_pooled_kernel(self._km, name)
            if kernel_id:  # no await between here and Voilà's pop: it is this one
                self._before(kernel_id)
        render_task, rendered, kernel_id = await self._km.get_rendered_notebook(*args, **kwargs)
        self._record(kernel_id)
        return render_task, rendered, kernel_id

    async def start_kernel(self, *args, **kwargs):
        kernel_id = await ensure_async(self._km.start_kernel(*args, **kwargs))
        self._record(kernel_id)
        return kernel_id


class SharedTemplateCode(BytecodeCache):
    """Compiled Jinja templates, kept for every page render of this process.

    Voilà makes a new exporter, and so a new Jinja environment, for every app page it renders (each
    preheated kernel's page too), and Jinja compiles every template again for a new environment: a
    third of the server's CPU time when 40 learners open apps at once (issue 16, py-spy). The code
    Jinja compiles depends only on the template's source (checked by its checksum) and on whether
    the environment is async; every page render of the server has the same extensions."""

    def __init__(self):
        self._code: dict[tuple[str, bool], tuple[str, object]] = {}

    def load_bytecode(self, bucket) -> None:
        hit = self._code.get((bucket.key, bucket.environment.is_async))
        if hit is not None and hit[0] == bucket.checksum:
            bucket.code = hit[1]

    def dump_bytecode(self, bucket) -> None:
        self._code[(bucket.key, bucket.environment.is_async)] = (bucket.checksum, bucket.code)


SHARED_TEMPLATE_CODE = SharedTemplateCode()


def share_template_code() -> None:
    """Let every VoilaExporter's Jinja environment use ``SHARED_TEMPLATE_CODE`` (once per process)."""
    if getattr(VoilaExporter, "_rf_shared_code", False):
        return
    create = VoilaExporter._create_environment

    def _create_environment(self):
        environment = create(self)
        environment.bytecode_cache = SHARED_TEMPLATE_CODE
        return environment

    VoilaExporter._create_environment = _create_environment
    VoilaExporter._rf_shared_code = True
