"""The runs of a sweep as Ray tasks: ``hp_lib.sweep``'s ``ray`` executor (``pip install '.[cluster]'``).

:class:`RayPool` offers what the sweep uses of a ``ProcessPoolExecutor`` — ``submit``, which returns a
``concurrent.futures.Future``, and ``shutdown`` — so chapters run unchanged on a Ray cluster. Each run is one
task that asks for as many CPUs as the run's threads. Tasks write the result cache as local workers do, under
``HP_BOOK_BUILD``: on a cluster of several machines that folder must be shared by them (NFS, say), and
hp_lib installed on every node.
"""

from __future__ import annotations

from concurrent.futures import Future


class RayPool:
    """Ray tasks behind a ``submit``/``shutdown`` interface. ``address`` None starts a local Ray with
    ``num_cpus`` CPUs (all by default); "auto" or "HOST:PORT" joins a running cluster."""

    def __init__(self, address: str | None = None, num_cpus: int | None = None):
        try:
            import ray
        except ImportError:
            raise ImportError("the ray executor needs Ray: pip install '.[cluster]'") from None
        self.ray = ray
        if not ray.is_initialized():
            ray.init(address=address, num_cpus=num_cpus if address is None else None, include_dashboard=False,
                     log_to_driver=False, configure_logging=False)
        self._remote = {}   # function -> its Ray task
        self._refs = []     # every task submitted, to cancel them on shutdown

    def submit(self, fn, *args, cpus: int = 1) -> Future:
        task = self._remote.setdefault(fn, self.ray.remote(fn))
        ref = task.options(num_cpus=cpus).remote(*args)
        self._refs.append(ref)
        return ref.future()

    def shutdown(self, wait: bool = True, cancel_futures: bool = False) -> None:
        if cancel_futures:
            for ref in self._refs:
                self.ray.cancel(ref, force=True)
        self._refs.clear()
