"""The server's CapabilityStatement (GET /fhir/r4/metadata). Pure: no Django."""

from __future__ import annotations

from typing import Any

from fhir.resources.R4B.capabilitystatement import CapabilityStatement

from ketacare.exchange.search import COMMON_PARAMS, SEARCH_PARAMS

_PARAM_TYPES = {
    "_id": "token",
    "_lastUpdated": "date",
    "patient": "reference",
    "subject": "reference",
    "encounter": "reference",
    "context": "reference",
    "date": "date",
    "authored": "date",
    "effective": "date",
    "effective-time": "date",
    "onset-date": "date",
    "birthdate": "date",
    "code": "token",
    "category": "token",
    "identifier": "token",
    "url": "uri",
    "questionnaire": "reference",
}


def capability_statement(*, base_url: str, software_version: str, date: str) -> dict[str, Any]:
    resources = []
    for resource_type, params in SEARCH_PARAMS.items():
        names = sorted((COMMON_PARAMS & {"_id", "_lastUpdated"}) | params)
        entry: dict[str, Any] = {
            "type": resource_type,
            "interaction": [{"code": "read"}, {"code": "search-type"}],
            "searchParam": [{"name": n, "type": _PARAM_TYPES[n]} for n in names],
        }
        if resource_type == "Patient":
            entry["operation"] = [
                {
                    "name": "export",
                    "definition": "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/patient-export",
                }
            ]
        resources.append(entry)
    resources.append(
        {
            "type": "Group",
            "operation": [
                {
                    "name": "export",
                    "definition": "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/group-export",
                }
            ],
        }
    )
    data = {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": date,
        "kind": "instance",
        "software": {"name": "KetaCare", "version": software_version},
        "implementation": {"description": "KetaCare FHIR R4 read-only API", "url": base_url},
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "json"],
        "rest": [
            {
                "mode": "server",
                "documentation": "Read-only. Authenticate with Authorization: Bearer <KetaCare "
                "API token>; resources of other clinics answer 404. SMART App Launch and "
                "writes are not supported.",
                "security": {
                    "description": "Bearer API tokens of one clinic (docs/api.md).",
                },
                "resource": resources,
            }
        ],
    }
    out: dict[str, Any] = CapabilityStatement.model_validate(data).model_dump(
        mode="json", exclude_none=True
    )
    return out
