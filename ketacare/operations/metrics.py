"""Prometheus metrics (prometheus-client): request latencies from a middleware, and the
queue, the messages and the open alerts read from the database at each scrape. Counts
and ages only: no patient data, no clinic names.

Under gunicorn's several processes, `ketacare serve` sets PROMETHEUS_MULTIPROC_DIR, and a
scrape adds up every process's latencies (prometheus-client's multiprocess mode)."""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable, Iterator

from django.http import HttpRequest, HttpResponse
from prometheus_client import CollectorRegistry, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

REQUEST_LATENCY = Histogram(
    "ketacare_http_request_duration_seconds",
    "Time to answer an HTTP request, by method, route pattern and status code.",
    ["method", "route", "status"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


class RequestLatencyMiddleware:
    """Outermost middleware: times every request. The label is the route pattern
    (`c/<slug:clinic_slug>/patients/<uuid:patient_id>/`), never the path, which can carry
    identifiers."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        route = match.route if match else "unmatched"
        REQUEST_LATENCY.labels(
            request.method or "-", route or "-", str(response.status_code)
        ).observe(time.perf_counter() - started)
        return response


class DatabaseCollector(Collector):
    """Gauges read from the database when scraped."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from django.db.models import Min
        from django_tasks_db.models import DBTaskResult

        from ketacare.measures.models import SafetyAlert
        from ketacare.messaging.models import OutboundMessage

        queued = DBTaskResult.objects.filter(status="READY").count()
        yield GaugeMetricFamily(
            "ketacare_task_queue_depth", "Tasks waiting in the queue.", value=queued
        )
        unsent = OutboundMessage.objects.filter(status=OutboundMessage.Status.QUEUED)
        oldest = unsent.aggregate(oldest=Min("created_at"))["oldest"]
        yield GaugeMetricFamily(
            "ketacare_oldest_unsent_message_age_seconds",
            "Age of the oldest message not yet sent (0 when none waits).",
            value=max((self.now - oldest).total_seconds(), 0.0) if oldest else 0.0,
        )
        yield GaugeMetricFamily(
            "ketacare_unsent_messages", "Messages queued and not yet sent.", value=unsent.count()
        )
        yield GaugeMetricFamily(
            "ketacare_failed_messages",
            "Messages whose delivery failed for good.",
            value=OutboundMessage.objects.filter(status=OutboundMessage.Status.FAILED).count(),
        )
        yield GaugeMetricFamily(
            "ketacare_open_safety_alerts",
            "Safety alerts not yet acknowledged, across all clinics.",
            value=SafetyAlert.objects.filter(acknowledged_at__isnull=True).count(),
        )


def render(now: dt.datetime) -> bytes:
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(REQUEST_LATENCY)
    registry.register(DatabaseCollector(now))
    return generate_latest(registry)
