"""/healthz and /metrics: for load balancers, container health checks and Prometheus.
Neither carries patient data; neither needs a signed-in user."""

from __future__ import annotations

import hmac
import ipaddress

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from ketacare.common import clock
from ketacare.operations import metrics
from ketacare.operations.health import overall
from ketacare.operations.services import health_checks


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database answers, every migration is applied and a worker beat within
    two ticks; 503 (with the failing check named) otherwise."""
    checks = health_checks(now=clock.now())
    status, code = overall(checks)
    body = {
        "status": status,
        "checks": {c.name: {"ok": c.ok, "detail": c.detail} for c in checks},
    }
    return JsonResponse(body, status=code)


def metrics_allowed(request: HttpRequest) -> bool:
    """The scraper shows KETACARE_METRICS_TOKEN as a bearer token, or connects from one of
    KETACARE_METRICS_ALLOWED_NETWORKS."""
    token = settings.KETACARE_METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer "):
        return hmac.compare_digest(header.removeprefix("Bearer ").strip(), token)
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(
        address in ipaddress.ip_network(net, strict=False)
        for net in settings.KETACARE_METRICS_ALLOWED_NETWORKS
    )


@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    if not metrics_allowed(request):
        return HttpResponse("Forbidden\n", status=403, content_type="text/plain")
    return HttpResponse(
        metrics.render(clock.now()), content_type="text/plain; version=0.0.4; charset=utf-8"
    )
