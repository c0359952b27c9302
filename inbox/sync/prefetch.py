"""Fetch ahead: a connector's next page is read (HTTP and parsing) in a helper thread while the
poller writes the current one.

Rules:
- the helper thread only runs the connector's page generator: connectors never touch the
  database, so the fetch-ahead never writes; every write stays in the poller's thread, where
  each page's transaction checks the lease;
- at most one page is held ahead (a queue of one), so memory stays at two pages;
- the next page is asked for only after a page of at least ``min_records`` records (cases,
  tasks and rejected ones): a big page is worth overlapping; a small one is cheap to fetch
  and is read only when the poller asks for it, as without fetch-ahead;
- the thread runs in a copy of the caller's context, so the poll's deadline (``http.poll_budget``)
  bounds its requests too;
- ``details``: an optional callable the thread runs on each page's task records before
  handing the page over, while ``details_wanted`` is set (the poller sets it while pages come
  in new): the connector's ``fetch_details_ahead``, so a full sync's detail requests overlap
  the writes too. It only fills the connector's own cache (no database), best effort;
- an error raised by the generator is raised in the poller's thread at the page it would have
  come at; when the poller stops (done, budget, lease lost, failure) ``close()`` tells the
  thread to stop, waits for its request in flight to end, and closes the generator.
"""

from __future__ import annotations

import contextlib
import contextvars
import queue
import threading
from collections.abc import Iterator

from inbox.sync.base import Page

# Pages smaller than this are not fetched ahead.
MIN_RECORDS = 200
_DONE = object()


def _size(page: Page) -> int:
    return len(page.tasks) + len(page.cases) + len(page.rejected)


class FetchAhead:
    """Iterate ``pages`` with the next page fetched in a helper thread; use as a context
    manager (``close()`` on exit)."""

    def __init__(self, pages: Iterator[Page], *, min_records: int = MIN_RECORDS, details=None):
        self._pages = pages
        self._min = min_records
        self._details = details
        self.details_wanted = threading.Event()
        self._out: queue.Queue = queue.Queue(maxsize=1)
        self._want = threading.Semaphore(0)  # one release: fetch one more page
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._context = contextvars.copy_context()

    def __enter__(self) -> FetchAhead:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __iter__(self) -> Iterator[Page]:
        self._thread = threading.Thread(
            target=self._context.run, args=(self._run,), name="sync-fetch-ahead", daemon=True
        )
        self._thread.start()
        self._want.release()  # the first page
        while True:
            kind, value = self._out.get()
            if kind is _DONE:
                return
            if kind == "error":
                raise value
            if _size(value) >= self._min:
                self._want.release()  # fetch the next page while this one is written
                yield value
            else:
                yield value
                self._want.release()  # the poller wants the next page now

    def _run(self) -> None:
        try:
            while True:
                self._want.acquire()
                if self._stop.is_set():
                    return
                try:
                    page = next(self._pages)
                except StopIteration:
                    self._out.put((_DONE, None))
                    return
                except BaseException as exc:  # handed to the poller's thread
                    self._out.put(("error", exc))
                    return
                if self._details is not None and page.tasks and self.details_wanted.is_set():
                    self._details(page.tasks)
                self._out.put(("page", page))
        finally:
            close = getattr(self._pages, "close", None)
            if close is not None:
                close()

    def close(self) -> None:
        """Stop the helper thread (after its request in flight) and close the generator."""
        if self._thread is None:
            return
        self._stop.set()
        self._want.release()
        # The thread may be blocked handing over a page nobody will take.
        while self._thread.is_alive():
            with contextlib.suppress(queue.Empty):
                self._out.get_nowait()
            self._thread.join(0.05)
        self._thread = None
