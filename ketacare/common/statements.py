"""Statements compiled once per process, then run with new values, for the hot paths
whose cost is Django compiling SQL rather than the database answering it: a monitor's
vital signs and the API token read before them (docs/benchmarks.md, "Vital-sign writes").
Profiled, compiling a one-row SELECT took longer than PostgreSQL took to run it.

- `Select`: a queryset of model instances (select_related and annotations allowed),
  written with the ORM, whose changing values are `Param`s. The ORM compiles it on first
  use for each database; each later call prepares the values as the ORM would, runs the
  cached SQL and makes the instances as Django's ModelIterable does.
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
from django.db.models.query import (  # type: ignore[attr-defined]  # Django's own row maker
    ModelIterable,
    get_related_populators,
)

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
    model: type[Model]
    model_columns: slice
    attnames: list[str]
    related: list[Any]  # Django's populators for select_related
    annotations: dict[str, int]


class Select(Generic[M]):
    """A SELECT of model instances (with their select_related objects and annotations),
    built by `build` from Params and compiled once per database alias. The rows are made
    as Django's ModelIterable makes them."""

    def __init__(self, build: Callable[[], QuerySet[M]]) -> None:
        self._build = build
        self._model: type[M] | None = None
        self._for_write = False
        self._compiled: dict[str, _Compiled] = {}

    def rows(self, **values: Any) -> list[M]:
        if self._model is None:
            queryset = self._build()
            # As the ORM routes it: a locking read goes where the writes go.
            self._model = queryset.model
            self._for_write = bool(queryset.query.select_for_update)
        route = router.db_for_write if self._for_write else router.db_for_read
        alias = route(self._model)
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
        return [_instance(compiled, alias, row) for row in fetched]


def _instance(compiled: _Compiled, alias: str, row: Sequence[Any]) -> Any:
    obj = compiled.model.from_db(alias, compiled.attnames, row[compiled.model_columns])
    for populator in compiled.related:
        populator.populate(row, obj)
    for name, position in compiled.annotations.items():
        setattr(obj, name, row[position])
    return obj


def _compile(queryset: QuerySet[Any], alias: str) -> _Compiled:
    if (
        getattr(queryset, "_prefetch_related_lookups", ())
        or queryset._iterable_class is not ModelIterable
    ):
        raise ValueError("Select makes model instances, without prefetching")
    compiler = queryset.query.get_compiler(using=alias)
    sql, params = compiler.as_sql()
    info = compiler.klass_info
    start, end = info["select_fields"][0], info["select_fields"][-1] + 1
    columns = [column for column, _, _ in compiler.select]
    return _Compiled(
        sql=sql,
        params=tuple(params),
        compiler=compiler,
        converters=compiler.get_converters(columns),
        model=info["model"],
        model_columns=slice(start, end),
        attnames=[column.target.attname for column in columns[start:end]],
        related=get_related_populators(info, compiler.select, alias),
        annotations=dict(compiler.annotation_col_map or {}),
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
