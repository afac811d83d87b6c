"""Set writes for the jobs: many rows changed by id in one statement per set of changed columns.

Why not executemany: on PostgreSQL psycopg pipelines one UPDATE per row, and every one of them fires the
task table's statement triggers (tracker.models.aggregates), so a scan page of 2,000 tasks ran the count
upsert 2,000 times (12 s of a 72 s reminder morning). `UPDATE … FROM unnest(:ids, :values…)` is one
statement, one trigger run, a handful of array parameters whatever the number of rows. SQLite runs in the
process and fires its row triggers either way: executemany is its fastest form.
"""
from sqlalchemy import bindparam, column, func, select, update
from sqlalchemy.dialects.postgresql import ARRAY


def update_by_id(session, table, rows: list[dict], *, key: str = "id", extra: dict | None = None) -> int:
    """Applies each row's values to the row of `table` whose `key` column equals row[key]; rows may set
    different columns (one statement per distinct set). `extra`: the same values for every row (a stamp).
    Returns the number of statements sent."""
    groups = _by_columns(rows, leave_out=key)
    postgres = session.get_bind().dialect.name == "postgresql"
    for columns, members in sorted(groups.items()):
        if postgres:
            session.execute(_unnest_update(table, key, columns, extra or {}),
                            {"_keys": [m[key] for m in members], **_extra(extra),
                             **{f"_v_{c}": [m[c] for m in members] for c in columns}})
        else:
            statement = (update(table).where(table.c[key] == bindparam("_key"))
                         .values(**{c: bindparam(f"_v_{c}") for c in columns},
                                 **{c: bindparam(f"_x_{c}") for c in extra or {}}))
            session.execute(statement, [{"_key": m[key], **_extra(extra), **{f"_v_{c}": m[c] for c in columns}}
                                        for m in members])
    return len(groups)


def _by_columns(rows: list[dict], leave_out: str | None = None) -> dict[tuple, list[dict]]:
    """The rows grouped by the columns they give (one statement per group)."""
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        groups.setdefault(tuple(sorted(c for c in row if c != leave_out)), []).append(row)
    return groups


def _extra(extra: dict | None) -> dict:
    # A bind parameter may not share its name with a column the statement sets.
    return {f"_x_{c}": value for c, value in (extra or {}).items()}


def _unnest_update(table, key: str, columns: tuple, extra: dict):
    source = (func.unnest(bindparam("_keys", type_=ARRAY(table.c[key].type)),
                          *(bindparam(f"_v_{c}", type_=ARRAY(table.c[c].type)) for c in columns))
              .table_valued(column("_k", table.c[key].type), *(column(c, table.c[c].type) for c in columns))
              .render_derived(name="v"))
    return (update(table).where(table.c[key] == source.c._k)
            .values(**{c: source.c[c] for c in columns}, **{c: bindparam(f"_x_{c}") for c in extra}))


def insert_rows(session, table, rows: list[dict], *, skip_conflicts: bool = False, returning=None):
    """Rows into `table` in one statement per set of given columns: `INSERT … SELECT … FROM unnest(…)` on
    PostgreSQL (a few array parameters instead of a pipelined statement per row), Core executemany on
    SQLite. A column left out takes its scalar Python default (note = ""), else NULL / the server's.
    `skip_conflicts`: ON CONFLICT DO NOTHING on any unique key. `returning`: columns to return, for the
    rows actually inserted (a list of Row). Returns that list, or None without `returning`."""
    if not rows:
        return [] if returning is not None else None
    groups = _by_columns(rows)
    dialect = session.get_bind().dialect.name
    out = []
    for given, members in groups.items():
        defaults = _scalar_defaults(table, given)
        columns = [*given, *defaults]
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert

            params = {f"_v_{c}": [m[c] for m in members] for c in given}
            params.update({f"_v_{c}": [value] * len(members) for c, value in defaults.items()})
            source = (func.unnest(*(bindparam(f"_v_{c}", type_=ARRAY(table.c[c].type)) for c in columns))
                      .table_valued(*(column(c, table.c[c].type) for c in columns)).render_derived(name="v"))
            statement = insert(table).from_select(columns, select(*(source.c[c] for c in columns)))
        else:
            from sqlalchemy.dialects.sqlite import insert

            params = [{**m, **defaults} for m in members]
            statement = insert(table)
        if skip_conflicts:
            statement = statement.on_conflict_do_nothing()
        if returning is not None:
            statement = statement.returning(*returning)
            out += list(session.execute(statement, params))
        else:
            session.execute(statement, params)
    return out if returning is not None else None


def _scalar_defaults(table, given: tuple) -> dict:
    found = {}
    for col in table.columns:
        if col.name in given or col.primary_key or col.default is None:
            continue
        if not col.default.is_scalar:
            raise ValueError(f"{table.name}.{col.name} has a computed default: give it in every row")
        found[col.name] = col.default.arg
    return found
