"""Sessions booked by a plan before issue 12 have no protocol, so the plan's standing
order never applied and dosing was blocked ("no protocol is set"): give them the plan's."""

from typing import Any

from django.db import migrations
from django.db.models import OuterRef, Subquery


def carry_protocol(apps: Any, schema_editor: Any) -> None:
    session = apps.get_model("treatment", "TreatmentSession")
    plan = apps.get_model("dosing", "TreatmentPlan")
    session.objects.filter(plan__isnull=False, protocol_code="").update(
        protocol_code=Subquery(plan.objects.filter(pk=OuterRef("plan_id")).values("protocol_code"))
    )


class Migration(migrations.Migration):
    dependencies = [
        ("treatment", "0004_session_order_check"),
        ("dosing", "0002_mg_ceilings"),
    ]

    operations = [migrations.RunPython(carry_protocol, migrations.RunPython.noop)]
