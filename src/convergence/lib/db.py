"""Low-level SQL helpers shared by the apps that write or read in bulk (exchange, analytics).

Nothing here knows a domain rule: quoting a table, running a statement, `column IN values` as
one array parameter on PostgreSQL, and inserting many rows without model instances (COPY on
PostgreSQL, `executemany` elsewhere). Apps import these instead of each other's private helpers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from django.db import connection
from django.db.models import BooleanField, Field, Model, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone


def table(model: type[Model]) -> str:
    """The model's table name, quoted for the connection's database."""
    return connection.ops.quote_name(model._meta.db_table)


def fetch(sql: str, params: Sequence[Any]) -> list[tuple]:
    """Run one query; all its rows."""
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return cursor.fetchall()


def where_in[M: Model](
    queryset: QuerySet[M], column: str, values: list[Any], sql_type: str = "bigint"
) -> QuerySet[M]:
    """`column IN values` on the queryset's own table. PostgreSQL: one array parameter
    (`= ANY(%s)`): no query text of thousands of placeholders for Django to compile and
    psycopg to parse, and the planner uses the column's index (the form joined back to the
    answers seq-scanned the whole answer table for every group once it had grown since its
    last ANALYZE). Elsewhere a plain IN."""
    if connection.vendor != "postgresql":
        return queryset.filter(**{f"{column}__in": values})
    quote = connection.ops.quote_name
    condition = RawSQL(  # noqa: S611 (quoted names and a type of ours; the values are a parameter)
        f"{table(queryset.model)}.{quote(column)} = ANY(%s::{sql_type}[])",
        [values],
        output_field=BooleanField(),
    )
    return queryset.filter(condition)


def insert_rows(
    model: type[Model], fields: Sequence[str], rows: list[tuple], *, returning_ids: bool = False
) -> list[int] | None:
    """INSERT many rows (COPY on PostgreSQL, executemany elsewhere), bypassing model instances.

    With `returning_ids` on PostgreSQL, returns the new rows' ids in the order of `rows`: they
    are taken from the table's sequence first (one query) and written by the COPY, so the caller
    needs no query to read them back. Otherwise returns None: the caller reads them back by
    their natural key if it needs them.

    The ORM's bulk_create builds a model instance and compiles every value of every row: it
    was most of the time of a first import. Values must already be adapted for the database
    (dates through `connection.ops`). No signal is sent: no per-row history.
    """
    if not rows:
        return [] if returning_ids and connection.vendor == "postgresql" else None
    meta = model._meta
    quote = connection.ops.quote_name
    # Every other column gets what the ORM would give it: its default, or now for auto_now.
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    given = {cast(Field, meta.get_field(name)).attname for name in fields}
    others = [field for field in meta.concrete_fields if not field.primary_key and field.attname not in given]
    defaults = tuple(
        now
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
        else field.get_db_prep_save(field.get_default(), connection)
        for field in others
    )
    if defaults:
        fields = [*fields, *(field.name for field in others)]
        rows = [row + defaults for row in rows]
    columns = ", ".join(quote(cast(str, cast(Field, meta.get_field(name)).column)) for name in fields)
    quoted_table = quote(meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            # One prepared statement run for every row (SQLite's executemany loops in C).
            placeholders = ", ".join(["%s"] * len(fields))
            cursor.executemany(
                f"INSERT INTO {quoted_table} ({columns}) VALUES ({placeholders})",  # noqa: S608
                rows,
            )
            return None
        ids: list[int] | None = None
        if returning_ids:
            pk = cast(Field, meta.pk)
            # nextval() per row, as the column's default would do: ids other sessions take
            # meanwhile are simply skipped. The id is an identity column BY DEFAULT: COPY may set it.
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [meta.db_table, pk.column, len(rows)],
            )
            ids = [row[0] for row in cursor.fetchall()]
            columns = f"{quote(pk.column or pk.attname)}, {columns}"
            rows = [(pk_value, *row) for pk_value, row in zip(ids, rows, strict=True)]
        # COPY streams the rows: no SQL text to build nor parse, the fastest bulk path.
        with cursor.cursor.copy(f"COPY {quoted_table} ({columns}) FROM STDIN") as copy:
            write = copy.write_row
            for row in rows:
                write(row)
        return ids
