"""`ketacare fhir-export`: NDJSON files in which every line validates with the R4B models."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from fhir.resources.R4B import get_fhir_model_class

from ketacare.audit.models import AuditEvent
from tests.exchange.world import Charted

pytestmark = pytest.mark.django_db


def test_every_line_validates_and_phq9_totals_carry_loinc_and_derived_from(
    charted: Charted, charted_other: Charted, tmp_path: Path
) -> None:
    out = StringIO()
    call_command("fhir_export", clinic="clinic-a", out=tmp_path, no_progress=True, stdout=out)
    files = sorted(p.name for p in tmp_path.iterdir())
    assert "Patient.ndjson" in files and "Observation.ndjson" in files
    by_type: dict[str, list[Any]] = {}
    for path in tmp_path.glob("*.ndjson"):
        for line in path.read_text().splitlines():
            resource = json.loads(line)
            assert resource["resourceType"] == path.stem
            get_fhir_model_class(path.stem).model_validate(resource)
            by_type.setdefault(path.stem, []).append(resource)
    patients = {r["id"] for r in by_type["Patient"]}
    assert patients == {str(charted.patient.pk)}  # not the other clinic's
    responses = {r["id"] for r in by_type["QuestionnaireResponse"]}
    phq9 = [
        r
        for r in by_type["Observation"]
        if any(c.get("code") == "44261-6" for c in r["code"]["coding"])
    ]
    assert phq9
    for total in phq9:
        derived = total["derivedFrom"][0]["reference"]
        assert derived.removeprefix("QuestionnaireResponse/") in responses
    bp = [r for r in by_type["Observation"] if r["code"]["coding"][0]["code"] == "85354-9"]
    assert [c["code"]["coding"][0]["code"] for c in bp[0]["component"]] == ["8480-6", "8462-4"]
    event = AuditEvent.objects.get(clinic=charted.access.clinic, action="export")
    assert {"type": "Patient", "count": 1} in event.details["output"]


def test_unknown_clinic_and_type_are_refused(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="No clinic"):
        call_command("fhir_export", clinic="nowhere", out=tmp_path, no_progress=True)
