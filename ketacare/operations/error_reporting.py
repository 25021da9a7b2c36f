"""Optional error reporting to Sentry (KETACARE_SENTRY_DSN), with patient data scrubbed.

An error report may leave the clinic's servers, so it carries only what locates a fault:
the exception's type, the stack (file, function, line), the route and the request id.
Exception messages, local variables, request bodies, query strings, headers, cookies,
the user and breadcrumbs are removed before sending, as the logs already redact them
(ketacare/common/logging.py). `scrub_event` is pure and tested on its own.
"""

from __future__ import annotations

from typing import Any, cast

REDACTED = "[redacted]"
# What a request may say without naming a patient: its method and route pattern.
_REQUEST_KEPT = ("method",)


def scrub_event(event: dict[str, Any], hint: dict[str, Any] | None = None) -> dict[str, Any]:
    """The event without anything that could hold patient data."""
    for exception in (event.get("exception") or {}).get("values") or []:
        if exception.get("value"):
            exception["value"] = REDACTED
        for frame in (exception.get("stacktrace") or {}).get("frames") or []:
            frame.pop("vars", None)
    for thread in (event.get("threads") or {}).get("values") or []:
        for frame in (thread.get("stacktrace") or {}).get("frames") or []:
            frame.pop("vars", None)
    request = event.get("request")
    if isinstance(request, dict):
        event["request"] = {key: request[key] for key in _REQUEST_KEPT if key in request}
    if "logentry" in event or "message" in event:
        event.pop("message", None)
        event["logentry"] = {"message": REDACTED}
    for private in ("user", "breadcrumbs", "extra", "server_name"):
        event.pop(private, None)
    return event


def init(dsn: str, *, environment: str, release: str, transport: Any = None) -> None:
    """Start the Sentry client for Django. No performance tracing, no personal data."""
    import sentry_sdk
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release,
        integrations=[DjangoIntegration()],
        data_collection={
            "user_info": False,
            "http_bodies": [],
            "stack_frame_variables": False,
            "database_query_data": False,
        },
        max_breadcrumbs=0,
        traces_sample_rate=0.0,
        before_send=cast(Any, scrub_event),
        transport=transport,
    )
