"""Where replications run: in this process, a local process pool, or a Dask cluster.

Every executor offers the same small, concurrent.futures-shaped face: `submit`
returns a future with `.result()`, and `run(fn, tasks)` yields `(index, result)` as
tasks finish, retrying a task whose worker died. A task is a pure function of its
arguments (the raw scenario and seeds), so its result is the same on any executor.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Protocol, TypeVar

from sim.errors import IntelsimError
from sim.interrupts import as_interrupted, blocked, deferred, detach_child, worker_task
from sim.logging import get_logger

log = get_logger(__name__)

T = TypeVar("T")
R = TypeVar("R")

RETRIES = 2  # a task whose worker died is tried this many more times
REAP_SECONDS = 5.0  # how long a terminated worker may take to die before it is killed


class ExecutorError(IntelsimError):
    """An executor that cannot start or a task that keeps failing."""


class ResultFuture(Protocol):
    """The part of a future we use: concurrent.futures and distributed both offer it."""

    def result(self, timeout: float | None = None) -> Any: ...


class TaskExecutor(Protocol):
    """What replications and sweeps need from an executor."""

    name: str
    workers: int

    def submit(self, fn: Callable[..., Any], *args: Any) -> ResultFuture: ...

    def run(self, fn: Callable[[T], R], tasks: Sequence[T]) -> Iterator[tuple[int, R]]: ...

    def shutdown(self, cancel: bool = False) -> None: ...


def default_workers() -> int:
    """Worker processes when none are asked for: one per CPU."""
    return os.cpu_count() or 1


def _worker_init() -> None:
    """Workers leave Ctrl-C to the parent, which stops cleanly and keeps finished rows.

    A worker starts with the stop signals blocked (the pool starts it inside
    `blocked()`), leaves the terminal's process group, and stops on SIGTERM: that is how
    the parent stops a running task, and what Linux sends if the parent dies.
    """
    detach_child(stop_on_term=True)


def in_worker(fn: Callable[[T], R], task: T) -> R:
    """Run one task in a pool worker; a SIGTERM ends the worker once the task cleaned up.

    The task sees Interrupted like any code (a replication writing its log closes it and
    marks its manifest); then the worker leaves at once rather than take another task.
    """
    try:
        with worker_task():
            return fn(task)
    except KeyboardInterrupt as exc:
        os._exit(as_interrupted(exc).exit_code)


class SerialExecutor:
    """Runs tasks one after another in this process (tests, debugging, one worker)."""

    name = "serial"
    workers = 1

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        """Run now; a finished future."""
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args))
        except Exception as exc:  # handed to the caller through the future, as a pool would
            future.set_exception(exc)
        return future

    def run(self, fn: Callable[[T], R], tasks: Sequence[T]) -> Iterator[tuple[int, R]]:
        """Yield each task's result in order."""
        for index, task in enumerate(tasks):
            yield index, fn(task)

    def shutdown(self, cancel: bool = False) -> None:
        """Nothing to release."""

    def __enter__(self) -> SerialExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown(cancel=exc[0] is not None)


class ProcessExecutor:
    """A local ProcessPoolExecutor that survives a dying worker by recreating the pool."""

    name = "processes"

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or default_workers()
        if self.workers < 1:
            msg = f"--workers must be at least 1, not {self.workers}"
            raise ExecutorError(msg)
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=self.workers, initializer=_worker_init)

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        """Submit one call to the pool (which may start a worker: signals blocked meanwhile)."""
        with blocked():
            return self._pool.submit(fn, *args)

    def run(self, fn: Callable[[T], R], tasks: Sequence[T]) -> Iterator[tuple[int, R]]:
        """Yield `(index, result)` as tasks finish.

        A worker that dies breaks the whole pool; the pool is rebuilt and every task
        without a result is submitted again. A pool that keeps breaking with no task
        finishing in between means a task kills its worker: give up after RETRIES.
        """
        pending: dict[Future[R], int] = {
            self.submit(in_worker, fn, t): i for i, t in enumerate(tasks)
        }
        fruitless = 0
        try:
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                lost: list[int] = []
                for future in done:
                    index = pending.pop(future)
                    try:
                        result = future.result()
                    except BrokenProcessPool:
                        lost.append(index)
                        continue
                    fruitless = 0
                    yield index, result
                if lost:
                    fruitless += 1
                    log.warning(
                        "worker died; retrying its tasks", tasks=len(lost), attempt=fruitless
                    )
                    if fruitless > RETRIES:
                        msg = (
                            f"worker processes died {fruitless} times in a row "
                            f"(task {min(lost)} and others); giving up"
                        )
                        raise ExecutorError(msg)
                    for future, index in list(pending.items()):
                        if future.done() and future.exception() is None:
                            del pending[future]
                            yield index, future.result()
                    pending = self._restart(fn, tasks, [*lost, *pending.values()])
        finally:
            for future in pending:
                future.cancel()

    def _restart(
        self, fn: Callable[[T], R], tasks: Sequence[T], indices: list[int]
    ) -> dict[Future[R], int]:
        """A fresh pool running the given tasks again."""
        self._stop_pool()
        self._pool = self._new_pool()
        return {self.submit(in_worker, fn, tasks[i]): i for i in sorted(set(indices))}

    def _stop_pool(self) -> None:
        """Stop the pool's workers now and reap every one (none outlives us).

        ProcessPoolExecutor has no public way to stop a running task; its workers are
        ours, so they are terminated instead of waited out, then joined; one that does
        not die in REAP_SECONDS is killed.
        """
        processes = list((getattr(self._pool, "_processes", None) or {}).values())
        self._pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            if process.is_alive():
                process.terminate()
        for process in processes:
            process.join(REAP_SECONDS)
            if process.is_alive():
                process.kill()
                process.join()

    def shutdown(self, cancel: bool = False) -> None:
        """Release the pool; on cancel, stop running workers rather than wait for them.

        Either way every worker is reaped before this returns, whole: a stop signal
        arriving meanwhile waits for it (the command line leaves with `os._exit`, which
        would otherwise orphan them).
        """
        with deferred():
            if cancel:
                self._stop_pool()
                return
            processes = list((getattr(self._pool, "_processes", None) or {}).values())
            self._pool.shutdown(wait=True)
            for process in processes:
                process.join(REAP_SECONDS)

    def __enter__(self) -> ProcessExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown(cancel=exc[0] is not None)


def local_cluster(factory: Any, workers: int) -> Any:
    """A LocalCluster on loopback tuned for replications: one process per core, one thread.

    Replications return a small row each, so the workers' memory monitor (which polls the
    process every 100 ms and competes for the core) buys nothing: memory_limit=0 turns it
    off, and took Dask from 0.91 to 0.95 of the process pool (bench/bench_replications.py).
    """
    return factory(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        memory_limit=0,
    )


class DaskExecutor:
    """A Dask distributed client: a cluster at an address, or a LocalCluster ("local")."""

    name = "dask"
    # tasks of about TASK_SECONDS, as for the pool: measured, larger batches lost more to
    # the uneven end of a run than they saved in scheduling (bench/bench_replications.py).
    # An executor may set `task_seconds` to change that (e.g. a cluster over a network).

    def __init__(self, address: str) -> None:
        try:  # imported late: Dask takes about a second to import, and most runs never need it
            from distributed import Client, LocalCluster
        except ImportError:  # pragma: no cover - a dependency of the package
            msg = "--dask needs the `distributed` package (pip install 'dask[distributed]')"
            raise ExecutorError(msg) from None
        self.address = address
        self._cluster: Any = None
        self._owns_client = True
        try:
            if address == "local":
                self._cluster = local_cluster(LocalCluster, default_workers())
                self._client = Client(self._cluster)
            else:
                self._client = Client(address, timeout="10s")
        except (OSError, TimeoutError, ValueError) as exc:
            self.shutdown()
            msg = f"cannot reach the Dask scheduler at {address}: {exc}"
            raise ExecutorError(msg) from None
        self.workers = max(1, sum(self._client.nthreads().values()))

    @classmethod
    def from_client(cls, client: Any) -> DaskExecutor:
        """Use an existing distributed.Client (the caller closes it)."""
        self = cls.__new__(cls)
        self.address = str(client.scheduler.address)
        self._cluster = None
        self._client = client
        self._owns_client = False
        self.workers = max(1, sum(client.nthreads().values()))
        return self

    def submit(self, fn: Callable[..., Any], *args: Any) -> ResultFuture:
        """Submit one call; a task on a worker that dies is retried."""
        return self._client.submit(fn, *args, pure=False, retries=RETRIES)

    def run(self, fn: Callable[[T], R], tasks: Sequence[T]) -> Iterator[tuple[int, R]]:
        """Yield `(index, result)` as tasks finish."""
        from distributed import as_completed  # late, as in __init__ (start-up time)

        futures = [self._client.submit(fn, t, pure=False, retries=RETRIES) for t in tasks]
        index = {f.key: i for i, f in enumerate(futures)}
        try:
            for future in as_completed(futures):
                yield index[future.key], future.result()
        finally:
            self._client.cancel([f for f in futures if not f.done()])

    def shutdown(self, cancel: bool = False) -> None:
        """Close the client, and the local cluster if we started one (reaping its processes).

        Whole even when a stop signal arrives meanwhile, like the process pool's.
        """
        with deferred():
            client = getattr(self, "_client", None)
            if client is not None and self._owns_client:
                client.close()
            if self._cluster is not None:
                self._cluster.close()
                _reap_children()

    def __enter__(self) -> DaskExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown(cancel=exc[0] is not None)


def _reap_children() -> None:
    """Wait for this process's multiprocessing children (a LocalCluster's nannies) to end."""
    for process in multiprocessing.active_children():
        process.join(REAP_SECONDS)
        if process.is_alive():
            process.kill()
            process.join()


Executor = SerialExecutor | ProcessExecutor | DaskExecutor


def make_executor(workers: int | None = None, dask: str | None = None) -> Executor:
    """The executor the command line asks for: Dask if `dask`, else a process pool.

    One worker runs in this process: a pool of one only adds start-up and pickling.
    """
    if dask:
        return DaskExecutor(dask)
    if workers is not None and workers < 1:
        msg = f"--workers must be at least 1, not {workers}"
        raise ExecutorError(msg)
    if workers == 1:
        return SerialExecutor()
    return ProcessExecutor(workers)
