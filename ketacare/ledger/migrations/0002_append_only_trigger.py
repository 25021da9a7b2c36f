"""On PostgreSQL the database itself refuses UPDATE and DELETE of ledger entries, so even
SQL run outside the application cannot rewrite the controlled-substance record quietly."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION ketacare_ledger_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'ledger_ledgerentry is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER ledger_ledgerentry_append_only
    BEFORE UPDATE OR DELETE ON ledger_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION ketacare_ledger_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS ledger_ledgerentry_append_only ON ledger_ledgerentry;
DROP FUNCTION IF EXISTS ketacare_ledger_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # params=None: the SQL's own '%' (RAISE format) must not be read as a placeholder.
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
