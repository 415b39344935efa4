"""App kernels forked from one warm template process (issue 16: 40 learners at once on 2 cores).

A plain kernel start runs a new Python that imports ipykernel, ipywidgets and rusfokus (0.4 s of CPU
on an idle machine, several seconds when 40 pages start kernels at once, and 50 MB of private memory
each). Here one *template* process (``python -m rusfokus.server.forkserver <fd>``, started by the
server at its first kernel) imports all of that once and then only forks: a kernel is a child of the
template that runs ``ipykernel_launcher`` with the server's connection file, environment and folder.
The imported code and data are shared copy-on-write between the template and every kernel
(``gc.freeze()`` keeps the garbage collector from writing to them), so a kernel costs its own state
only.

- ``ForkProvisioner`` is a jupyter_client kernel provisioner (entry point ``rusfokus-fork`` in
  ``jupyter_client.kernel_provisioners``; ``rusfokus serve`` makes it the default with
  ``KernelProvisionerFactory.default_provisioner_name`` when ``RUSFOKUS_FORK_KERNELS`` is on). It is
  jupyter_client's ``LocalProvisioner`` with one change: the process comes from the template, and
  ``ForkedKernel`` gives the provisioner what it uses of a ``Popen`` (poll, wait, signals to the
  kernel's own process group). A command that is not this Python's ``ipykernel_launcher``, or a
  template that cannot answer, falls back to a plain start (logged).
- The template holds no thread and no zmq context when it forks; it preloads only modules that make
  no widget at import (``PRELOAD``; a widget made in the template would belong to no kernel) and
  checks that. Each kernel calls ``setsid()`` (its own process group, as a plain start has) before
  the template answers with its pid.
- Lifetime: the server talks to the template over a socket pair. When the server goes (even killed),
  the template reads end-of-file, kills the process group of every kernel it forked and exits; each
  kernel also watches its parent (ipykernel's parent poller, ``JPY_PARENT_PID`` = the template).
  Nothing outlives the server.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time

from jupyter_client.provisioning import LocalProvisioner

log = logging.getLogger("rusfokus.server")

PROVISIONER_NAME = "rusfokus-fork"
KERNEL_MODULE = "ipykernel_launcher"

PRELOAD = (
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
    "ipykernel.zmqshell",
    "ipykernel.debugger",  # debugpy and pydevd: 130 modules each kernel would import at start
    "IPython.core.debugger",
    "IPython.core.oinspect",
    "IPython.extensions.storemagic",
    "sqlite3",  # IPython's history
    "tornado.platform.asyncio",
    "tornado.queues",
    "ipywidgets",
    "IPython.core.interactiveshell",
    "jupyter_client.session",
    "rusfokus.settings",
    "rusfokus.apps.common",
    "rusfokus.apps.guard",
    "rusfokus.opsporing.genstande",
    "rusfokus.opsporing.audit_c",
    "rusfokus.voila_request",  # opgave, Min side and the dashboard wait for their page's request with it
)
"""Imported once by the template: what every app kernel needs, and the calculators' logic. Only modules
that create no widget when imported (genstande, audit_c and mi_coach make layout widgets at import, so
each kernel imports those itself, a few ms). No kernel imports Voilà: the apps that wait for their page's
request use ``rusfokus.voila_request`` (before, the dashboard, Min side and opgave imported Voilà and
jupyter_server in each kernel, 0.5-0.7 s of CPU each; in the template it would have added 80 MB)."""


# --- the template process ------------------------------------------------------------------------


def preload() -> None:
    """Import ``PRELOAD`` and check the template is safe to fork: no widget, no comm manager, no thread."""
    import importlib

    for name in PRELOAD:
        importlib.import_module(name)
    problems = template_problems()
    if problems:
        raise RuntimeError("the kernel template cannot fork: " + "; ".join(problems))


def template_problems() -> list[str]:
    import ipykernel.ipkernel
    import ipywidgets.widgets.widget as widget_module

    out = []
    if getattr(widget_module, "_instances", {}):
        out.append(f"{len(widget_module._instances)} widgets were made at import")
    if getattr(ipykernel.ipkernel, "_comm_manager", None) is not None:
        out.append("a comm manager exists")
    if threading.active_count() != 1:
        out.append(f"{threading.active_count()} threads")
    return out


def _reap(_signum=None, _frame=None) -> None:
    while True:
        try:
            pid, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _run_kernel(request: dict, ready_w: int) -> int:
    """In the forked child: become the kernel the server asked for; returns its exit code."""
    os.setsid()  # its own process group and session, like a plain start (start_new_session=True)
    os.write(ready_w, b"1")
    os.close(ready_w)
    for signum in (signal.SIGCHLD, signal.SIGTERM, signal.SIGPIPE):
        signal.signal(signum, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    cwd = request.get("cwd") or os.getcwd()
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(request["env"])
    os.environ["JPY_PARENT_PID"] = str(os.getppid())  # ipykernel exits when the template goes
    sys.path[0] = cwd  # as `python -m` puts the working folder first
    sys.argv = [KERNEL_MODULE, *request["args"]]
    # no gc.unfreeze(): the collector would then write to every preloaded object and unshare its pages
    from ipykernel import kernelapp

    code = 0
    try:
        app = kernelapp.IPKernelApp.instance()
        app.initialize()
        # ipywidgets registers its comm targets ('jupyter.widget', 'jupyter.widget.control') when it is
        # imported inside a running kernel; the template imported it before any kernel existed, so
        # register them now, or a page asking for all widget states at once gets comm_close.
        import ipywidgets

        ipywidgets.register_comm_target()
        app.start()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        log.exception("forked kernel failed")
        code = 1
    return code


def _fork_kernel(request: dict, children: set[int], control: tuple) -> int:
    ready_r, ready_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the kernel
        code = 1
        try:
            os.close(ready_r)
            for end in control:  # the server's line to the template is not the kernel's
                end.close()
            code = _run_kernel(request, ready_w)
            import atexit

            atexit._run_exitfuncs()
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)
    os.close(ready_w)
    os.read(ready_r, 1)  # the child is its own process group now: the server may signal it
    os.close(ready_r)
    children.add(pid)
    return pid


def _kill_all(children: set[int]) -> None:
    for pid in children:
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        _reap()
        if not any(_alive(pid) for pid in children):
            return
        time.sleep(0.05)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def serve_template(fd: int) -> int:
    """The template's loop: one JSON line in (argv args, env, cwd), one JSON line out (pid or error)."""
    sock = socket.socket(fileno=fd)
    signal.signal(signal.SIGCHLD, _reap)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C in the terminal: the server decides
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    children: set[int] = set()
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")  # debugpy's note about frozen modules
    try:
        preload()
        gc.collect()
        gc.freeze()  # the preloaded objects stay in pages shared with every kernel
        reader = sock.makefile("rb")
        sock.sendall(json.dumps({"ready": os.getpid()}).encode() + b"\n")
        for line in reader:
            try:
                request = json.loads(line)
                answer = {"pid": _fork_kernel(request, children, (reader, sock))}
            except Exception as exc:  # noqa: BLE001 - the server falls back to a plain start
                answer = {"error": f"{type(exc).__name__}: {exc}"}
            sock.sendall(json.dumps(answer).encode() + b"\n")
            children = {pid for pid in children if _alive(pid)}
    except SystemExit:
        pass
    finally:
        _kill_all(children)  # the server has gone (end of file) or stopped us
    return 0


# --- the server side -----------------------------------------------------------------------------


class ForkServer:
    """The server's handle on its template process (one per server process, started at first use)."""

    _instance: ForkServer | None = None
    _class_lock = threading.Lock()
    START_TIMEOUT = 120.0

    def __init__(self):
        self.process: subprocess.Popen | None = None
        self._sock: socket.socket | None = None
        self._reader = None
        self._lock = threading.Lock()
        self.forked = 0

    @classmethod
    def instance(cls) -> ForkServer:
        with cls._class_lock:
            if cls._instance is None:
                cls._instance = cls()
            return cls._instance

    def _start(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "rusfokus.server.forkserver", str(theirs.fileno())],
            pass_fds=(theirs.fileno(),),
            stdin=subprocess.DEVNULL,
        )
        theirs.close()
        ours.settimeout(self.START_TIMEOUT)
        self._sock = ours
        self._reader = ours.makefile("rb")
        hello = json.loads(self._reader.readline() or b"{}")
        if "ready" not in hello:
            self.close()
            raise RuntimeError("the kernel template did not start (see the server log)")
        ours.settimeout(30.0)
        log.info("kernel template %s ready: app kernels are forked from it", self.process.pid)

    def fork(self, args: list[str], env: dict, cwd: str | None) -> int:
        """Fork a kernel running ``ipykernel_launcher <args>``; its pid. Blocking: call in a thread."""
        with self._lock:
            if self.process is None or self.process.poll() is not None:
                self.close()
                self._start()
            try:
                self._sock.sendall(json.dumps({"args": args, "env": env, "cwd": cwd}).encode() + b"\n")
                answer = json.loads(self._reader.readline() or b"{}")
            except (OSError, ValueError) as exc:
                self.close()
                raise RuntimeError(f"the kernel template did not answer: {exc}") from None
            if "pid" not in answer:
                raise RuntimeError(answer.get("error") or "the kernel template did not answer")
            self.forked += 1
            return int(answer["pid"])

    def close(self) -> None:
        """Stop the template (it kills the kernels it forked that are still running)."""
        if self._sock is not None:
            try:
                self._sock.close()
            except OSError:
                pass
            self._sock = self._reader = None
        if self.process is not None:
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None


class ForkedKernel:
    """What ``LocalProvisioner`` uses of a ``Popen``, for a kernel that is the template's child (it is
    not ours to wait for: a pidfd says when it has ended, and signals go to exactly that process)."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int):
        self.pid = pid
        self.returncode: int | None = None
        self._pidfd: int | None = os.pidfd_open(pid)

    def poll(self) -> int | None:
        if self.returncode is None and self._pidfd is not None:
            # poll(), not select(): a busy server has well over 1024 descriptors (zmq sockets of every
            # kernel), and select() refuses any descriptor past FD_SETSIZE ("filedescriptor out of range")
            waiter = select.poll()
            waiter.register(self._pidfd, select.POLLIN)
            if waiter.poll(0):
                self.returncode = 0  # ended (the template reaped it; its code is not ours to read)
                os.close(self._pidfd)
                self._pidfd = None
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"kernel {self.pid}", timeout)
            time.sleep(0.05)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            signal.pidfd_send_signal(self._pidfd, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def __del__(self):
        if self._pidfd is not None:
            try:
                os.close(self._pidfd)
            except OSError:
                pass


def forkable(cmd: list[str]) -> list[str] | None:
    """The kernel's arguments when ``cmd`` is this Python running ``ipykernel_launcher``, else None."""
    if len(cmd) < 3 or cmd[1:3] != ["-m", KERNEL_MODULE]:
        return None
    if os.path.realpath(cmd[0]) != os.path.realpath(sys.executable):
        return None
    return list(cmd[3:])


class ForkProvisioner(LocalProvisioner):
    """jupyter_client's local provisioner, with the kernel forked from the warm template."""

    async def launch_kernel(self, cmd: list[str], **kwargs):
        args = forkable(cmd)
        if args is None:
            return await super().launch_kernel(cmd, **kwargs)
        env = {str(k): str(v) for k, v in (kwargs.get("env") or os.environ).items()}
        cwd = str(kwargs.get("cwd") or os.getcwd())
        try:
            pid = await asyncio.get_running_loop().run_in_executor(None, ForkServer.instance().fork, args, env, cwd)
        except (RuntimeError, OSError) as exc:
            log.warning("kernel template: %s; starting this kernel the plain way", exc)
            return await super().launch_kernel(cmd, **kwargs)
        self.process = ForkedKernel(pid)
        self.pid = pid
        self.pgid = pid  # the kernel called setsid() before the template answered
        self.cwd = cwd
        return self.connection_info


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    logging.basicConfig(level=logging.WARNING)
    return serve_template(int(argv[0]))


if __name__ == "__main__":
    sys.exit(main())
