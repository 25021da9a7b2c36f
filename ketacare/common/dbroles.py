"""PostgreSQL roles: the app connects as a role that owns nothing.

The owner (KETACARE_MIGRATION_DATABASE_URL) creates and alters the tables; the app role
(KETACARE_DATABASE_URL) may read and write rows, and on the audit trail only read and
append. TRUNCATE, ALTER TABLE (so also disabling the append-only trigger) and DROP need
ownership or a grant the app role never gets. See docs/security.md.
"""

from __future__ import annotations

from typing import Any

from psycopg import sql

APPEND_ONLY_TABLES = ("audit_auditevent", "ledger_ledgerentry")


def grant_app_role(cursor: Any, role: str, password: str | None = None) -> None:
    """Create the app role if it is missing and give it exactly what the app needs, on
    every table that exists now. Run as the owner, after every migration."""
    cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s", [role])
    row = cursor.fetchone()
    if row is None:
        create = sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role))
        if password:
            create += sql.SQL(" PASSWORD {}").format(sql.Literal(password))
        cursor.execute(create)
    elif row[0]:
        raise ValueError(f"The app role {role!r} is a superuser; it must own nothing.")
    cursor.execute("SELECT current_user")
    if cursor.fetchone()[0] == role:
        raise ValueError(f"The app role {role!r} is the owner's role; use two roles.")
    who = sql.Identifier(role)
    for statement in (
        "GRANT CONNECT ON DATABASE {db} TO {who}",
        "GRANT USAGE ON SCHEMA public TO {who}",
        "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {who}",
        "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {who}",
    ):
        cursor.execute(sql.SQL(statement).format(db=_database(cursor), who=who))
    for table in APPEND_ONLY_TABLES:
        cursor.execute(
            sql.SQL("REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {} FROM {}").format(
                sql.Identifier(table), who
            )
        )


def _database(cursor: Any) -> sql.Identifier:
    cursor.execute("SELECT current_database()")
    return sql.Identifier(cursor.fetchone()[0])
