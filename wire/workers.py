"""The host's worker threads, where guest calls (and other blocking work) run.

At most `size` tasks run at once. A task that waits for busy guests (a runtime at its
concurrency limit, see `blocking`) does not count while it waits: the next task takes its
place on another thread, so a busy runtime never holds the workers that other runtimes,
policies and control paths need. Threads are started on demand, at most `4 * size`; past
that, waiting tasks keep their workers.

A task that waits longer than its `max_wait` for a worker is not run: it fails with
`overloaded`, saying what was busy.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any, Generic, TypeVar

from .errors import Overloaded
from .telemetry import tracing

T = TypeVar("T")

THREADS_PER_WORKER = 4  # threads in all, per worker: room for tasks waiting on busy guests

_current = threading.local()  # .workers: the pool of the worker thread running this


def default_size() -> int:
    """Worker threads of a host unless told otherwise (as `ThreadPoolExecutor`'s default)."""
    return min(32, (os.cpu_count() or 1) + 4)


@contextmanager
def blocking() -> Iterator[None]:
    """Wrap a wait for busy guests: the calling worker's place goes to the next task until
    the wait ends. Does nothing off the worker threads."""
    workers: Workers | None = getattr(_current, "workers", None)
    if workers is None:
        yield
        return
    workers._park()
    try:
        yield
    finally:
        workers._unpark()


_QUEUED, _RUNNING, _DROPPED = range(3)


class _Task(Generic[T]):
    __slots__ = ("fn", "future", "loop", "state")

    def __init__(self, fn: Callable[[], T], loop: asyncio.AbstractEventLoop) -> None:
        self.fn = fn
        self.loop = loop
        self.future: asyncio.Future[T] = loop.create_future()
        self.state = _QUEUED

    def run(self) -> None:
        try:
            result = self.fn()
        except BaseException as e:
            self._settle(_fail, e)
        else:
            self._settle(_succeed, result)

    def _settle(self, how: Callable[[asyncio.Future[T], Any], None], value: Any) -> None:
        with suppress(RuntimeError):  # the loop is closed: nobody is waiting any more
            self.loop.call_soon_threadsafe(how, self.future, value)


def _succeed(future: asyncio.Future[Any], result: Any) -> None:
    if not future.done():
        future.set_result(result)


def _fail(future: asyncio.Future[Any], error: BaseException) -> None:
    if not future.done():
        future.set_exception(error)


class Workers:
    """A pool of worker threads for blocking work, awaited from an event loop."""

    def __init__(
        self, size: int | None = None, *, name: str = "wire-guest", where: str | None = None
    ) -> None:
        self.size = default_size() if size is None else size
        if self.size < 1:
            raise ValueError("a host needs at least 1 worker")
        self.max_threads = THREADS_PER_WORKER * self.size
        self.name = name
        self.where = where
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._queue: deque[_Task[Any]] = deque()
        self._queued = 0  # tasks in the queue still to run (dropped ones excluded)
        self._running = 0  # tasks running, waiting ones (parked) excluded
        self._parked = 0
        self._idle = 0  # threads waiting in `_wake`, each notify takes one off
        self._woken = 0  # threads notified or started, not yet looking for a task
        self._threads: list[threading.Thread] = []
        self._closed = False

    async def run(
        self,
        fn: Callable[[], T],
        *,
        max_wait: float | None = None,
        timeout: float | None = None,
    ) -> T:
        """Run `fn` on a worker; `Overloaded` if it waited more than `max_wait` seconds
        for one (None: wait as long as it takes); `TimeoutError` if it has not ended after
        `timeout` seconds (it is not run if it has not started; if it has, it runs on, its
        result unused). Cheaper than `asyncio.wait_for`, which makes a task per call."""
        task = _Task(tracing.carried(fn), asyncio.get_running_loop())
        with self._lock:
            if self._closed:
                raise RuntimeError("the host is closed: it runs nothing any more")
            self._queue.append(task)
            self._queued += 1
            self._kick()
        timer = (
            None
            if max_wait is None
            else task.loop.call_later(max_wait, self._expire, task, max_wait)
        )
        late = None if timeout is None else task.loop.call_later(timeout, self._late, task)
        try:
            return await task.future
        except (asyncio.CancelledError, TimeoutError):
            self._drop(task)  # not run if it has not started yet
            raise
        finally:
            if timer is not None:
                timer.cancel()
            if late is not None:
                late.cancel()

    def stats(self) -> dict[str, int]:
        """Workers, tasks running, waiting for busy guests, queued; threads."""
        with self._lock:
            return {
                "workers": self.size,
                "running": self._running,
                "waiting": self._parked,
                "queued": self._queued,
                "threads": len(self._threads),
            }

    def close(self, wait: bool = True) -> None:
        """Run nothing more: queued tasks are cancelled; with `wait`, return once the
        running ones have ended (a guest call ends by its deadline)."""
        with self._lock:
            self._closed = True
            dropped = [t for t in self._queue if t.state == _QUEUED]
            for t in dropped:
                t.state = _DROPPED
            self._queue.clear()
            self._queued = 0
            self._woken += self._idle
            self._idle = 0
            self._wake.notify_all()
            threads = list(self._threads)
        for t in dropped:
            with suppress(RuntimeError):
                t.loop.call_soon_threadsafe(t.future.cancel)
        if wait:
            me = threading.current_thread()
            for thread in threads:
                if thread is not me:
                    thread.join()

    # -- internals (the lock held unless said otherwise) ---------------------------

    @staticmethod
    def _late(task: _Task[Any]) -> None:
        """On the loop: `task` ran past its `timeout`."""
        if not task.future.done():
            task.future.set_exception(TimeoutError())

    def _kick(self) -> None:
        """Get queued tasks started while there is room: wake idle threads, start new ones."""
        n = min(self.size - self._running, self._queued) - self._woken
        while n > 0:
            if self._idle:
                self._idle -= 1
                self._wake.notify()
            elif len(self._threads) < self.max_threads:
                thread = threading.Thread(
                    target=self._work, name=f"{self.name}-{len(self._threads)}", daemon=True
                )
                self._threads.append(thread)
                thread.start()
            else:
                return
            self._woken += 1
            n -= 1

    def _take(self) -> _Task[Any] | None:
        while self._queue and self._running < self.size:
            task = self._queue.popleft()
            if task.state == _QUEUED:
                task.state = _RUNNING
                self._queued -= 1
                self._running += 1
                return task
        return None

    def _work(self) -> None:  # a worker thread (takes the lock itself)
        _current.workers = self
        with self._lock:
            while True:
                self._woken -= 1
                while (task := self._take()) is not None:
                    self._lock.release()
                    try:
                        task.run()
                    finally:
                        del task  # its result and closure go now, not with the next task
                        self._lock.acquire()
                    self._running -= 1
                if self._closed:
                    self._threads.remove(threading.current_thread())
                    return
                self._idle += 1
                self._wake.wait()

    def _park(self) -> None:  # a worker thread (takes the lock itself)
        with self._lock:
            self._running -= 1
            self._parked += 1
            self._kick()

    def _unpark(self) -> None:  # a worker thread (takes the lock itself)
        with self._lock:
            self._parked -= 1
            self._running += 1  # over `size` for a while, maybe: no new task starts then

    def _drop(self, task: _Task[Any]) -> bool:  # takes the lock itself
        with self._lock:
            if task.state != _QUEUED:
                return False
            task.state = _DROPPED
            self._queued -= 1
            return True

    def _expire(self, task: _Task[Any], waited: float) -> None:  # on the event loop
        if not self._drop(task) or task.future.done():
            return
        s = self.stats()
        task.future.set_exception(
            Overloaded(
                f"gave up after waiting {round(waited * 1000)} ms (its deadline) for a worker: "
                f"all {s['workers']} workers "
                f"were busy ({s['running']} running, {s['queued']} more queued); raise the "
                "host's workers (`wire serve --workers` / WIRE_WORKERS, "
                "Host(max_workers=...)), or send fewer calls at once",
                where=self.where,
            )
        )
