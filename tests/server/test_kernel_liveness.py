"""A busy server has well over 1024 file descriptors (each kernel's zmq sockets): a forked kernel's
liveness check must still work there (issue 16: P8 with 40 preheated kernels per app gave
"filedescriptor out of range in select()" and HTTP 500 on the kernel socket)."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time

import pytest

from rusfokus.server.forkserver import ForkedKernel


def test_a_kernel_whose_pidfd_is_past_1024_is_polled_alive_and_then_ended():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 1200:
        pytest.skip(f"this machine allows only {hard} open files")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 1200), hard))
    filler = []
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        while True:  # take descriptors until the next one is past select()'s FD_SETSIZE
            fd = os.open(os.devnull, os.O_RDONLY)
            filler.append(fd)
            if fd >= 1030:
                break
        kernel = ForkedKernel(child.pid)
        assert kernel._pidfd > 1024
        assert kernel.poll() is None  # alive
        kernel.terminate()
        child.wait(10)  # reaped by its parent (here: us; in the server: the template)
        deadline = time.monotonic() + 5
        while kernel.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert kernel.poll() == 0
        assert kernel._pidfd is None  # its descriptor is given back
    finally:
        child.kill()
        child.wait()
        for fd in filler:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
