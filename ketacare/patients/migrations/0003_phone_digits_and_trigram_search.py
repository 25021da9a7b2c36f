"""The phone's digits for search, and trigram indexes for the registry search.

On PostgreSQL the search's contains-matches (`UPPER(col) LIKE UPPER('%word%')`) would scan
the whole table; GIN trigram indexes on the same expressions answer them from the index
(pg_trgm, a trusted extension since PostgreSQL 13). SQLite has no trigram index: there the
search scans the clinic's rows, which is fast at the sizes SQLite is meant for
(docs/architecture.md).
"""

from django.db import migrations, models

SEARCHED = ("legal_family_name", "legal_given_name", "preferred_name", "mrn", "phone_digits")


def _index(column: str) -> str:
    return f"patients_patient_{column}_trgm"


def fill_phone_digits(apps, schema_editor):  # type: ignore[no-untyped-def]
    patient = apps.get_model("patients", "Patient")
    for row in patient.objects.exclude(phone="").only("pk", "phone").iterator(chunk_size=2000):
        digits = "".join(c for c in row.phone if c.isdigit())
        patient.objects.filter(pk=row.pk).update(phone_digits=digits)


def add_trigram_indexes(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in SEARCHED:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {_index(column)} ON patients_patient "
            f"USING gin (UPPER({column}::text) gin_trgm_ops)"
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
        migrations.RunPython(fill_phone_digits, migrations.RunPython.noop),
        migrations.RunPython(add_trigram_indexes, drop_trigram_indexes),
    ]
