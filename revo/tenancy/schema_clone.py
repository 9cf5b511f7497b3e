"""Copy the template schema into a new tenant's schema, reading only the template's own
catalog rows.

django-tenants' ``clone_schema`` SQL function handles every kind of object, but several of
its steps scan ``information_schema`` across all schemas for every table, so its time grows
with the number of tenants already there (seconds per tenant past a hundred tenants). The
template holds plain tables only (what migrations make: columns, defaults, identity keys,
check / unique / primary / foreign keys, indexes) and their rows (migration history, role
groups, seeded defaults), and that is what this copies:

1. ``CREATE TABLE new.t (LIKE template.t INCLUDING ...)``: columns, defaults, identity,
   generated columns, check constraints (with their names), storage, comments;
2. the rows (``INSERT .. SELECT``), identity sequences moved past the copied keys;
3. primary, unique and exclusion constraints, then the other indexes, then foreign keys,
   each recreated from its definition under its own name (later migrations refer to
   constraints and indexes by name);
4. the schema's functions, then its triggers (e.g. the one keeping prompt versions
   immutable).

The definitions are read with the search path set to the template alone, so names inside
the template print unqualified and resolve to the new schema when the DDL runs there, while
names from elsewhere (``extensions.vector``) stay qualified; index, function and trigger
definitions always name their schema, which is swapped for the new one. A template holding
anything else (views, sequences of its own, types, aggregates, policies, partitioned
tables, rules, inheritance) is refused with ``CloneUnsupported``; the caller then falls
back to django-tenants' general clone.
"""

from __future__ import annotations

import re

from django.db import connection, transaction


class CloneUnsupported(Exception):
    """The template holds an object this copy does not handle."""


_UNSUPPORTED = """
SELECT 'relation ' || c.relname || ' of kind ' || c.relkind::text
  FROM pg_class c
 WHERE c.relnamespace = %(ns)s AND c.relkind NOT IN ('r', 'i', 'S')
UNION ALL
SELECT 'sequence ' || s.relname || ' not owned by an identity column'
  FROM pg_class s
 WHERE s.relnamespace = %(ns)s AND s.relkind = 'S'
   AND NOT EXISTS (SELECT FROM pg_depend d
                    WHERE d.classid = 'pg_class'::regclass AND d.objid = s.oid
                      AND d.deptype = 'i')
UNION ALL
SELECT 'aggregate or procedure ' || p.proname FROM pg_proc p
 WHERE p.pronamespace = %(ns)s AND p.prokind <> 'f'
UNION ALL
SELECT 'type ' || t.typname FROM pg_type t
 WHERE t.typnamespace = %(ns)s AND t.typrelid = 0 AND t.typelem = 0
UNION ALL
SELECT 'policy ' || po.polname FROM pg_policy po JOIN pg_class c ON c.oid = po.polrelid
 WHERE c.relnamespace = %(ns)s
UNION ALL
SELECT 'rule ' || r.rulename FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class
 WHERE c.relnamespace = %(ns)s
UNION ALL
SELECT 'inherited table ' || c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
 WHERE c.relnamespace = %(ns)s
"""

_TABLES = """
SELECT c.relname FROM pg_class c
 WHERE c.relnamespace = %(ns)s AND c.relkind = 'r' ORDER BY c.relname
"""

# Constraints backed by an index first (foreign keys need them), foreign keys last.
_CONSTRAINTS = """
SELECT c.relname, con.conname, pg_get_constraintdef(con.oid), con.contype
  FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
 WHERE c.relnamespace = %(ns)s AND con.contype IN ('p', 'u', 'x', 'f')
 ORDER BY con.contype = 'f', c.relname, con.conname
"""

_INDEXES = """
SELECT pg_get_indexdef(i.indexrelid)
  FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
 WHERE c.relnamespace = %(ns)s
   AND NOT EXISTS (SELECT FROM pg_constraint con WHERE con.conindid = i.indexrelid
                                                   AND con.contype IN ('p', 'u', 'x'))
 ORDER BY 1
"""

_FUNCTIONS = """
SELECT pg_get_functiondef(p.oid) FROM pg_proc p WHERE p.pronamespace = %(ns)s ORDER BY p.proname
"""

_TRIGGERS = """
SELECT pg_get_triggerdef(tg.oid) FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid
 WHERE c.relnamespace = %(ns)s AND NOT tg.tgisinternal ORDER BY tg.tgname
"""

_IDENTITY_COLUMNS = """
SELECT c.relname, a.attname
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
 WHERE c.relnamespace = %(ns)s AND c.relkind = 'r' AND a.attidentity <> '' AND a.attnum > 0
"""

_LIKE = (
    "INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING GENERATED INCLUDING CONSTRAINTS "
    "INCLUDING STORAGE INCLUDING COMMENTS INCLUDING COMPRESSION"
)


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def clone_schema(source: str, target: str) -> None:
    """Create schema ``target`` as a copy of ``source`` (structure and rows), in the
    current transaction or one of its own; ``CloneUnsupported`` before anything is written
    when ``source`` holds what this does not copy."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT oid FROM pg_namespace WHERE nspname = %s", [source])
        row = cursor.fetchone()
        if row is None:
            raise CloneUnsupported(f"schema {source!r} does not exist")
        args = {"ns": row[0]}
        cursor.execute(_UNSUPPORTED, args)
        unsupported = [name for (name,) in cursor.fetchall()]
        if unsupported:
            raise CloneUnsupported(f"{source} holds {', '.join(sorted(unsupported)[:5])}")
        cursor.execute("SELECT current_setting('search_path')")
        (search_path,) = cursor.fetchone()
        # Definitions read with only the source on the search path: its names unqualified.
        cursor.execute(f"SET LOCAL search_path TO {_q(source)}")
        cursor.execute(_TABLES, args)
        tables = [table for (table,) in cursor.fetchall()]
        cursor.execute(_CONSTRAINTS, args)
        constraints = cursor.fetchall()
        cursor.execute(_INDEXES, args)
        indexes = [definition for (definition,) in cursor.fetchall()]
        cursor.execute(_IDENTITY_COLUMNS, args)
        identities = cursor.fetchall()
        cursor.execute("SELECT quote_ident(%s), quote_ident(%s)", [source, target])
        printed = cursor.fetchone()  # the names as the definitions print them
        cursor.execute(_FUNCTIONS, args)
        functions = [_moved(definition, *printed) for (definition,) in cursor.fetchall()]
        cursor.execute(_TRIGGERS, args)
        triggers = [_moved(definition, *printed) for (definition,) in cursor.fetchall()]

        cursor.execute(f"CREATE SCHEMA {_q(target)}")
        cursor.execute(f"SET LOCAL search_path TO {_q(target)}")
        for table in tables:
            cursor.execute(f"CREATE TABLE {_q(table)} (LIKE {_q(source)}.{_q(table)} {_LIKE})")
            rows = f"SELECT * FROM {_q(source)}.{_q(table)}"  # noqa: S608 - quoted names
            cursor.execute(f"INSERT INTO {_q(table)} OVERRIDING SYSTEM VALUE {rows}")
        for table, column in identities:
            top = f"max({_q(column)})"
            advance = f"SELECT setval(pg_get_serial_sequence(%s, %s), {top}) FROM {_q(table)}"  # noqa: S608
            cursor.execute(
                f"{advance} HAVING {top} IS NOT NULL", [f"{_q(target)}.{_q(table)}", column]
            )
        for table, name, definition, contype in constraints:
            if contype != "f":
                cursor.execute(f"ALTER TABLE {_q(table)} ADD CONSTRAINT {_q(name)} {definition}")
        for definition in indexes:
            cursor.execute(_moved(definition, *printed))
        for table, name, definition, contype in constraints:
            if contype == "f":
                cursor.execute(f"ALTER TABLE {_q(table)} ADD CONSTRAINT {_q(name)} {definition}")
        for definition in [*functions, *triggers]:  # triggers after the rows went in
            cursor.execute(definition)
        cursor.execute("SELECT set_config('search_path', %s, true)", [search_path])


def _moved(definition: str, source: str, target: str) -> str:
    """An index, function or trigger definition of ``source`` made for ``target``: these
    print their own objects schema-qualified whatever the search path, so the qualifier
    ``source.`` becomes ``target.`` (only where it is not part of a longer name)."""
    pattern = re.compile(rf"(?<![\w.\"']){re.escape(source)}\.")
    return pattern.sub(f"{target}.", definition)
