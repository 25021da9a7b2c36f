"""Read replicas for reports and research exports (docs/deploy.md, "More than one
machine").

With KETACARE_REPLICA_DATABASE_URL set, the database alias "replica" is a read-only copy
of the primary (PostgreSQL streaming replication). Code that only reads for a report
wraps itself in `replica_reads()`; inside it, reads of clinical records go to the replica.
Everything else stays on the primary: every write, and every read of the audit trail,
accounts, sessions and the task queue (the audit chain is read FOR UPDATE, which a hot
standby refuses), and any read outside the block."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db import models

REPLICA = "replica"
# Apps whose rows a report may read from the replica: clinical records only.
REPLICA_APPS = frozenset({"patients", "measures", "treatment", "dosing", "eligibility", "outcomes"})
_on_replica: ContextVar[bool] = ContextVar("ketacare_replica_reads", default=False)


@contextmanager
def replica_reads() -> Iterator[None]:
    """Inside the block, clinical reads go to the replica (when one is configured)."""
    token = _on_replica.set(True)
    try:
        yield
    finally:
        _on_replica.reset(token)


class ReplicaRouter:
    def db_for_read(self, model: type[models.Model], **hints: Any) -> str | None:
        if (
            _on_replica.get()
            and REPLICA in settings.DATABASES
            and settings.KETACARE_REPLICA_READS
            and model._meta.app_label in REPLICA_APPS
        ):
            return REPLICA
        return None  # the primary

    def db_for_write(self, model: type[models.Model], **hints: Any) -> str | None:
        return None  # always the primary

    def allow_relation(self, obj1: models.Model, obj2: models.Model, **hints: Any) -> bool:
        return True  # one database, two copies

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        return db != REPLICA  # the replica follows the primary's schema by replication
