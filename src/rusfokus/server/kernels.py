"""The app kernels' budget: a cap on live kernels, a cap per visitor, the culling rule,
and release of kernels whose page is gone (issue 16).

Every embedded app is a Voilà page with a kernel of its own (about 25-155 MB each with forked
kernels; README, "Memory"). Voilà keeps kernels until the idle cull and has no cap, so a staff
meeting of 40 learners (or one visitor opening page after page) could take all the memory. Here:

- ``KernelBudgetManager`` is the server's kernel manager (Voilà builds its kernel pool on
  top of it, ``VoilaConfiguration.multi_kernel_manager_class``). It remembers each kernel
  handed to a page (``Handout``: app, page session, client address, when, its websocket).
- The culler never shuts down a kernel handed out less than ``HANDOUT_GRACE_SECONDS`` ago:
  a preheated kernel has been idle since it was started, so Voilà's culler used to shut it
  down in the moment between the handout and the page's first connection. A pooled kernel
  is marked as handed out *before* Voilà takes it from its pool (``KernelRecorder``), so
  there is no moment in which it is neither pooled nor protected.
- ``admit(app, page, address)`` says whether a page may get a kernel now: at most
  ``max_kernels`` app kernels live (the preheated pools included, which Voilà refills after
  each handout) and at most ``kernels_per_visitor`` per page session. Over a cap the page
  gets the Danish "Der er travlt" notice, which tries again by itself.
- A handed-out kernel whose page has had no websocket for ``release_seconds`` (tab closed,
  frame unloaded, the learner went on) is shut down by ``reap()``; a page that never
  connected gets ``HANDOUT_GRACE_SECONDS`` first. The page also asks for its release itself
  when it goes (``live.js``, ``navigator.sendBeacon`` to ``/rusfokus/kernel/<id>/release``).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from jupyter_core.utils import ensure_async
from tornado.ioloop import PeriodicCallback
from traitlets import Float, Int

from rusfokus.voila_internals import AsyncMappingKernelManager

log = logging.getLogger("rusfokus.server")

HANDOUT_GRACE_SECONDS = 60.0
"""A kernel handed to a page is never culled, nor released for want of a connection, within this time."""

REAP_INTERVAL_SECONDS = 5.0


@dataclass
class Handout:
    app: str
    page: str  # the page session (rf_page cookie) that got the kernel
    address: str  # the client address
    at: float  # time.monotonic() of the handout
    connected: int = 0  # open websockets of its page
    left_at: float | None = None  # time.monotonic() when its last websocket closed


class KernelBudgetManager(AsyncMappingKernelManager):
    """jupyter_server's kernel manager with the handout registry, the culling rule and the caps."""

    max_kernels = Int(0, config=True, help="Live app kernels at most, preheated ones included (0: no cap).")
    pool_total = Int(0, config=True, help="Kernels the preheated pools keep ready (counted against max_kernels).")
    kernels_per_visitor = Int(0, config=True, help="Kernels one page session may hold at once (0: no cap).")
    release_seconds = Float(
        30.0, config=True, help="Release a handed-out kernel this long after its page's last websocket closed."
    )

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.handouts: dict[str, Handout] = {}
        self.handing_out: dict[str, float] = {}  # kernel id -> time.monotonic(), taken from the pool right now
        self.refused = 0  # pages sent the "Der er travlt" notice since start
        self.reserved: dict[str, int] = {}  # page session -> admitted pages still waiting for their kernel
        self._reaper: PeriodicCallback | None = None

    # --- the culling rule --------------------------------------------------------------------
    def recently_handed_out(self, kernel_id: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        at = self.handing_out.get(kernel_id)
        handout = self.handouts.get(kernel_id)
        if handout is not None:
            at = max(at or 0.0, handout.at)
        return at is not None and now - at < HANDOUT_GRACE_SECONDS

    async def cull_kernel_if_idle(self, kernel_id: str):
        if kernel_id in self._kernels and self.recently_handed_out(kernel_id):
            log.debug("not culling kernel %s: handed out less than %ss ago", kernel_id[:8], HANDOUT_GRACE_SECONDS)
            return None
        return await ensure_async(super().cull_kernel_if_idle(kernel_id))

    # --- handouts --------------------------------------------------------------------------------
    def mark_handing_out(self, kernel_id: str) -> None:
        """A pooled kernel is about to leave its pool for a page."""
        self.handing_out[kernel_id] = time.monotonic()

    def record_handout(self, kernel_id: str, app: str, page: str, address: str) -> None:
        """The page got its kernel: its reservation (``admit``) becomes this handout."""
        self.handing_out.pop(kernel_id, None)
        self.unreserve(page)
        self.handouts[kernel_id] = Handout(app=app, page=page, address=address, at=time.monotonic())
        self._start_reaper()

    def in_use(self) -> int:
        """Kernels handed to pages, and pages admitted that are getting theirs right now."""
        return sum(1 for kid in self.handouts if kid in self._kernels) + sum(self.reserved.values())

    def held_by(self, page: str) -> int:
        return sum(
            1 for kid, h in self.handouts.items() if h.page == page and kid in self._kernels
        ) + self.reserved.get(page, 0)

    def admit(self, page: str) -> str:
        """'' when a page of this session may get a kernel now (a place is then reserved for it until
        ``record_handout`` or ``unreserve``); else why not ('server' or 'visitor'). No await between
        the check and the reservation: two pages at once cannot both take the last place."""
        if self.kernels_per_visitor and self.held_by(page) >= self.kernels_per_visitor:
            return "visitor"
        if self.max_kernels and self.in_use() >= max(1, self.max_kernels - self.pool_total):
            return "server"
        self.reserved[page] = self.reserved.get(page, 0) + 1
        return ""

    def unreserve(self, page: str) -> None:
        left = self.reserved.get(page, 0) - 1
        if left > 0:
            self.reserved[page] = left
        else:
            self.reserved.pop(page, None)

    def note_refused(self) -> int:
        self.refused += 1
        return self.refused

    def connected(self, kernel_id: str) -> None:
        handout = self.handouts.get(kernel_id)
        if handout is not None:
            handout.connected += 1
            handout.left_at = None

    def disconnected(self, kernel_id: str) -> None:
        handout = self.handouts.get(kernel_id)
        if handout is not None:
            handout.connected = max(0, handout.connected - 1)
            if not handout.connected:
                handout.left_at = time.monotonic()

    async def release(self, kernel_id: str, why: str) -> bool:
        """Shut down a handed-out kernel (its page is gone); False if it was not running."""
        handout = self.handouts.get(kernel_id)
        if kernel_id not in self._kernels:
            self.handouts.pop(kernel_id, None)
            return False
        log.info("released kernel %s of %s: %s", kernel_id[:8], handout.app if handout else "?", why)
        try:
            await ensure_async(self.shutdown_kernel(kernel_id))
        except KeyError:
            return False
        return True

    async def shutdown_kernel(self, kernel_id: str, *args, **kwargs):
        try:
            return await ensure_async(super().shutdown_kernel(kernel_id, *args, **kwargs))
        finally:
            self.handouts.pop(kernel_id, None)
            self.handing_out.pop(kernel_id, None)

    def due_for_release(self, now: float | None = None) -> list[tuple[str, str]]:
        """(kernel id, why) of every handed-out kernel whose page is gone."""
        now = time.monotonic() if now is None else now
        out = []
        for kid, h in list(self.handouts.items()):
            if kid not in self._kernels:
                self.handouts.pop(kid, None)
                continue
            if h.connected:
                continue
            if h.left_at is None:
                if now - h.at >= max(HANDOUT_GRACE_SECONDS, self.release_seconds):
                    out.append((kid, "its page never connected"))
            elif now - h.left_at >= self.release_seconds:
                out.append((kid, f"its page has been gone {now - h.left_at:.0f}s"))
        for kid, at in list(self.handing_out.items()):
            if kid not in self._kernels or now - at > 10 * HANDOUT_GRACE_SECONDS:
                self.handing_out.pop(kid, None)  # a handout that failed: the culler decides again
        return out

    async def reap(self) -> None:
        for kid, why in self.due_for_release():
            try:
                await self.release(kid, why)
            except Exception:
                log.exception("could not release kernel %s", kid[:8])

    def _start_reaper(self) -> None:
        if self._reaper is None and self.release_seconds > 0:
            self._reaper = PeriodicCallback(self.reap, REAP_INTERVAL_SECONDS * 1000)
            self._reaper.start()

    def budget(self) -> dict:
        return {
            "live": len(self._kernels),
            "in_use": self.in_use(),
            "max_kernels": self.max_kernels,
            "pool_total": self.pool_total,
            "per_visitor": self.kernels_per_visitor,
            "refused": self.refused,
        }


POOL_SHARE = 0.5
"""The preheated pools take at most this share of ``RUSFOKUS_MAX_KERNELS``: the rest is for pages."""


def pool_sizes(apps, default: int, max_kernels: int) -> dict[str, int]:
    """Preheated kernels per app (name -> size; apps without a pool are left out).

    An app asks for its pool in its notebook metadata (``pool_size``), else gets ``default``; an admin
    app only when it asks. The calculators of module 1 (genstande, AUDIT-C) ask for large pools: a
    staff meeting opens them all within a minute (issue 16, P8), and a pooled forked kernel is ready
    at once while a new one costs CPU when the server is busiest. With a cap, all pools together take
    at most ``POOL_SHARE`` of it: the largest pool gives one kernel back, again and again, until they
    fit (no pool goes below one), so a small cap still leaves room for pages. ``default`` 0
    (RUSFOKUS_POOL_SIZE=0) turns preheating off for every app, also for those that ask for a pool."""
    if default <= 0:
        return {}
    sizes = {}
    for app in apps:
        if app.admin and not app.pool_size:
            continue
        size = app.pool_size if app.pool_size is not None else default
        if size > 0:
            sizes[app.name] = size
    if max_kernels > 0:
        room = max(len(sizes), int(max_kernels * POOL_SHARE))
        while sum(sizes.values()) > room:
            largest = max(sizes, key=lambda name: (sizes[name], name))
            if sizes[largest] <= 1:
                break
            sizes[largest] -= 1
    return sizes
