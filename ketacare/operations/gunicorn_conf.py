"""gunicorn settings `ketacare serve` loads (`--config python:ketacare.operations.gunicorn_conf`):
a worker process that exits leaves its live gauges out of /metrics
(prometheus-client's multiprocess mode)."""

from __future__ import annotations

from typing import Any


def child_exit(server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
