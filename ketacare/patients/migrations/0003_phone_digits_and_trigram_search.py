"""The registry search's columns (names and MRN in capitals; the phone's digits) and, on
PostgreSQL, their trigram indexes.

A search word is one `search_text LIKE '%WORD%'`, which a GIN trigram index answers without
reading the table (pg_trgm, a trusted extension since PostgreSQL 13); one column, because
PostgreSQL will not combine four indexed LIKEs joined by OR and scans instead. SQLite has no
trigram index: there the search scans the clinic's rows, which is fast at the sizes SQLite
is meant for (docs/architecture.md).
"""

from django.db import migrations, models

from ketacare.patients.search import digits_of, searchable_text

SEARCHED = ("search_text", "phone_digits")


def _index(column: str) -> str:
    return f"patients_patient_{column}_trgm"


def fill_search_columns(apps, schema_editor):  # type: ignore[no-untyped-def]
    patient = apps.get_model("patients", "Patient")
    names = ("legal_family_name", "legal_given_name", "preferred_name", "mrn", "phone")
    for row in patient.objects.only("pk", *names).iterator(chunk_size=2000):
        patient.objects.filter(pk=row.pk).update(
            phone_digits=digits_of(row.phone),
            search_text=searchable_text(*(getattr(row, name) for name in names[:4])),
        )


def add_trigram_indexes(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in SEARCHED:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {_index(column)} ON patients_patient "
            f"USING gin ({column} gin_trgm_ops)"
        )


def drop_trigram_indexes(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in SEARCHED:
        schema_editor.execute(f"DROP INDEX IF EXISTS {_index(column)}")


class Migration(migrations.Migration):
    dependencies = [
        ("patients", "0002_consent_treatment_form"),
    ]

    operations = [
        migrations.AddField(
            model_name="patient",
            name="phone_digits",
            field=models.CharField(blank=True, editable=False, max_length=40),
        ),
        migrations.AddField(
            model_name="patient",
            name="search_text",
            field=models.CharField(blank=True, editable=False, max_length=400),
        ),
        migrations.RunPython(fill_search_columns, migrations.RunPython.noop),
        migrations.RunPython(add_trigram_indexes, drop_trigram_indexes),
    ]
