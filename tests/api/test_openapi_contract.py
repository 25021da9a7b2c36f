"""The OpenAPI document is exact: each schema name is one model, so no operation is
documented with another module's schema of the same name (issue 13)."""

from __future__ import annotations

from collections import defaultdict

import pydantic

from ketacare.api.urls import api


def _models_by_name() -> dict[str, set[str]]:
    """Schema name -> where each model of that name is defined (Ninja's ModelSchema
    builds a model in two steps, so one definition can show up as two classes)."""
    found: dict[str, set[str]] = defaultdict(set)
    stack = [pydantic.BaseModel]
    while stack:
        for model in stack.pop().__subclasses__():
            stack.append(model)
            if model.__module__.startswith("ketacare."):
                found[model.__name__].add(f"{model.__module__}.{model.__qualname__}")
    return found


def test_every_documented_schema_name_is_one_model() -> None:
    components = api.get_openapi_schema()["components"]["schemas"]
    models = _models_by_name()
    clashes = {name: models[name] for name in components if len(models.get(name, ())) > 1}
    assert clashes == {}


def _body(schema: dict, path: str) -> dict:
    ref = schema["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
    return schema["components"]["schemas"][ref["$ref"].rsplit("/", 1)[1]]


def test_the_two_acknowledge_operations_document_their_own_bodies() -> None:
    schema = api.get_openapi_schema()
    safety = _body(schema, "/api/v1/alerts/{alert_id}/acknowledge")
    assert "action_taken" in safety["properties"]
    assert "action_taken" in safety["required"]
    session = _body(
        schema,
        "/api/v1/patients/{patient_id}/sessions/{session_id}/alerts/{session_alert_id}/acknowledge",
    )
    assert "action" in session["properties"]
