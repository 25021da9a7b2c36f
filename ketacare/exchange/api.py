"""Referral import under /api/v1/referrals: a FHIR Bundle (application/fhir+json or
application/json) or a CSV of patients (text/csv) as the request body. Dry run unless
`confirm=true`."""

import json
from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from ketacare.api.auth import access_of
from ketacare.common.errors import ValidationFailed
from ketacare.exchange.imports import referral_import
from ketacare.exchange.referral import Parsed, parse_bundle, parse_csv

router = Router(tags=["exchange"])
ACCEPTED = ("application/fhir+json", "application/json", "text/csv")


def parse_upload(content: bytes, content_type: str, *, clinic_slug: str) -> tuple[Parsed, str]:
    """The body as a Bundle or a CSV, by its content type (or, for a file, its start)."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationFailed.single("file", "The file is not UTF-8 text.") from exc
    if "csv" in content_type or (not content_type and not text.lstrip().startswith("{")):
        return parse_csv(text), "csv"
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ValidationFailed.single(
            "file", "The file is neither a FHIR Bundle nor a CSV."
        ) from exc
    return parse_bundle(data, clinic_slug=clinic_slug), "fhir-bundle"


@router.post("/referrals/import", response={200: dict[str, Any], 422: dict[str, Any]})
def import_referral(request: HttpRequest, confirm: bool = False) -> Status[dict[str, Any]]:
    """Dry run (default): what would be created, what matches, every error by field.
    With confirm=true and no error, everything is written in one transaction. A file
    with any error answers 422 with the same report, so a client cannot mistake it for
    an import that can go ahead."""
    access = access_of(request)
    content_type = request.content_type or ""
    if content_type not in ACCEPTED:
        raise ValidationFailed.single(
            "Content-Type", f"Send the file as one of: {', '.join(ACCEPTED)}."
        )
    parsed, source = parse_upload(request.body, content_type, clinic_slug=access.clinic.slug)
    result = referral_import(access=access, parsed=parsed, source=source, confirm=confirm)
    return Status(200 if result.ok else 422, result.as_dict())
