"""On PostgreSQL, a GIN index on the English full-text vector of a note's search column
(ketacare.notes.selectors.notes_matching filters on the same expression). SQLite has no
such index: there the search is a substring match over the patient's notes, which are few."""

from django.db import migrations

INDEX = "notes_note_search_fts"


def add_index(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON notes_note "
        "USING gin (to_tsvector('english'::regconfig, COALESCE(search_text, '')))"
    )


def drop_index(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("notes", "0001_initial")]

    operations = [migrations.RunPython(add_index, drop_index)]
