"""Validation on the second core: an import's chunks are checked in a worker process while
this one plans, hashes and writes the chunks before them.

The chain's order only serialises the store's part (positions, hashes, the write); parsing
and validating a line depend on nothing but the line. So a worker maps chunk k+1 (and k+2)
while the store writes chunk k, and the chunks come back in input order. The outcome is the
sequential one: the same events, and the same first refusal, raised when its chunk is reached,
so everything before it is decided exactly as without the worker. One core, or an input of one
chunk, runs in this process (a worker costs an interpreter start).
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, TypeVar

from ledger.domain.errors import InvalidInput, LedgerError

In = TypeVar("In")
Out = TypeVar("Out")

#: Chunks handed to the worker ahead of the one being written: enough to keep it busy, few
#: enough that memory holds a handful of chunks whatever the input's size.
AHEAD = 2


def batches(items: Iterable[In], size: int) -> Iterator[list[In]]:
    batch: list[In] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def mapped_chunks(
    items: Iterable[In],
    work: Callable[[list[In]], list[Out]],
    *,
    size: int,
    parallel: bool | None = None,
) -> Iterator[list[Out]]:
    """`work` applied to consecutive chunks of `size` items, in order, on a second core.

    `work` must be picklable (a module-level function or a partial of one); its refusals
    (LedgerError) reach the caller as raised, with their line and field.
    """
    chunks = batches(items, size)
    first = next(chunks, None)
    if first is None:
        return
    second = next(chunks, None)
    use_worker = (os.cpu_count() or 1) > 1 if parallel is None else parallel
    if second is None or not use_worker:
        yield work(first)
        if second is not None:
            yield work(second)
            for chunk in chunks:
                yield work(chunk)
        return
    # spawn, not fork: a forked worker would inherit the writer's open database connection,
    # so a writer killed mid-import would leave its socket open in the worker and the
    # server would keep the transaction and its write lock. A spawned one holds nothing.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=1, mp_context=context, initializer=_follow_parent, initargs=(os.getpid(),)
    ) as pool:
        pending: deque[Future[Any]] = deque()
        for chunk in _chain(first, second, chunks):
            pending.append(pool.submit(_guarded, work, chunk))
            if len(pending) > AHEAD:
                yield _outcome(pending.popleft())
        while pending:
            yield _outcome(pending.popleft())


def _follow_parent(parent: int) -> None:
    """In the worker: leave when the writer is gone (killed, it closes nothing; the worker's
    own copy of the task queue would keep it waiting for work for ever).

    The worker's cyclic collector is off for its life: it builds chunks of acyclic events and
    pickles them, which reference counting frees, and each collection walked every live
    object again (a third of the time of pickling a chunk)."""
    gc.disable()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="follow-parent", daemon=True).start()


def _chain(first: list[In], second: list[In], rest: Iterator[list[In]]) -> Iterator[list[In]]:
    yield first
    yield second
    yield from rest


def _guarded(work: Callable[[list[In]], list[Out]], chunk: list[In]) -> tuple[str, Any]:
    """Run in the worker: the result, or the refusal as plain values (a LedgerError's
    keyword arguments do not survive pickling)."""
    try:
        return "ok", work(chunk)
    except InvalidInput as exc:
        return "invalid", (exc.reason, exc.field, exc.line)
    except LedgerError as exc:
        return "error", (type(exc), str(exc))


def _outcome(future: Future[Any]) -> Any:
    kind, value = future.result()
    if kind == "ok":
        return value
    if kind == "invalid":
        reason, field, line = value
        raise InvalidInput(reason, field=field, line=line)
    error_type, message = value
    raise error_type(message)
