"""Statements compiled once per process, then run with new values, for the one write path
whose cost is Django compiling SQL rather than the database answering it: a monitor's
vital signs (docs/benchmarks.md, "Vital-sign writes"). Profiled, compiling a one-row
SELECT took longer than PostgreSQL took to run it.

- `Select`: a single-table queryset, written with the ORM, whose changing values are
  `Param`s. The ORM compiles it on first use for each database; each later call prepares
  the values as the ORM would, runs the cached SQL and builds the rows with the same
  converters and `Model.from_db` the ORM uses.
- `insert_rows`: unsaved instances, inserted in one statement, their fields prepared and
  their auto_now fields set as `bulk_create` would.

Use them only where a benchmark shows the need; everywhere else the ORM reads better.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import connections, router
from django.db.models import Expression, Field, Model, QuerySet

M = TypeVar("M", bound=Model)


class Param(Expression):
    """A value filled in at run time: `filter(pk=Param("session", Session._meta.pk))`.
    `field` is the field compared with, which prepares the value for the database."""

    def __init__(self, name: str, field: Field[Any, Any]) -> None:
        super().__init__(output_field=field)
        self.name = name
        self.target = field

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        return "%s", [self]


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple[Any, ...]  # values, and Params to fill in
    compiler: Any
    converters: Any
    attnames: list[str]


class Select(Generic[M]):
    """A SELECT of whole rows of one model (no select_related, no annotations), built by
    `build` from Params and compiled once per database alias."""

    def __init__(self, build: Callable[[], QuerySet[M]]) -> None:
        self._build = build
        self._compiled: dict[str, _Compiled] = {}

    def rows(self, **values: Any) -> list[M]:
        alias = router.db_for_read(self._model())
        compiled = self._compiled.get(alias)
        if compiled is None:
            compiled = self._compiled[alias] = _compile(self._build(), alias)
        connection = connections[alias]
        params = [
            p.target.get_db_prep_value(values[p.name], connection) if isinstance(p, Param) else p
            for p in compiled.params
        ]
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            fetched = cursor.fetchall()
        if compiled.converters:
            fetched = list(compiled.compiler.apply_converters(fetched, compiled.converters))
        model = self._model()
        return [model.from_db(alias, compiled.attnames, row) for row in fetched]

    def _model(self) -> type[M]:
        if not hasattr(self, "_model_class"):
            self._model_class = self._build().model
        return self._model_class


def _compile(queryset: QuerySet[Any], alias: str) -> _Compiled:
    compiler = queryset.query.get_compiler(using=alias)
    sql, params = compiler.as_sql()
    if (
        compiler.klass_info is None
        or compiler.annotation_col_map
        or compiler.klass_info.get("related_klass_infos")
    ):
        raise ValueError("Select takes whole rows of one model only")
    columns = [column for column, _, _ in compiler.select]
    return _Compiled(
        sql=sql,
        params=tuple(params),
        compiler=compiler,
        converters=compiler.get_converters(columns),
        attnames=[column.target.attname for column in columns],
    )


def insert_rows(objs: Sequence[Model], *, using: str | None = None) -> None:
    """INSERT unsaved instances of one model in one statement, as bulk_create would for
    rows whose primary keys are already set (UUIDs) or given back by the database."""
    if not objs:
        return
    model = type(objs[0])
    alias = using or router.db_for_write(model)
    connection = connections[alias]
    meta = model._meta
    auto_pk = bool(getattr(meta.pk, "db_returning", False))
    if auto_pk and not connection.features.can_return_rows_from_bulk_insert:
        model._default_manager.using(alias).bulk_create(objs)
        return
    fields = [
        f
        for f in meta.concrete_fields
        if not (auto_pk and f is meta.pk) and not getattr(f, "generated", False)
    ]
    batch = connection.ops.bulk_batch_size(fields, objs) or len(objs)
    for start in range(0, len(objs), batch):
        _insert(connection, model, fields, objs[start : start + batch], auto_pk)
    for obj in objs:
        obj._state.adding = False
        obj._state.db = alias


def _insert(
    connection: Any, model: type[Model], fields: list[Any], objs: Sequence[Model], auto_pk: bool
) -> None:
    quote = connection.ops.quote_name
    meta = model._meta
    row_marks = "(" + ", ".join(["%s"] * len(fields)) + ")"
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "  # noqa: S608
        f"VALUES {', '.join([row_marks] * len(objs))}"
    )
    params = [
        f.get_db_prep_save(f.pre_save(obj, add=True), connection) for obj in objs for f in fields
    ]
    if auto_pk:
        sql += f" RETURNING {quote(meta.pk.column)}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        if auto_pk:  # in the order given, as bulk_create relies on too
            for obj, (pk,) in zip(objs, cursor.fetchall(), strict=True):
                obj.pk = pk
