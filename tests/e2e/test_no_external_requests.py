"""Pages load nothing from outside the server (no CDN, fonts, analytics or update checks),
and each passes axe-core.

Every browser test records its requests (see conftest.open_page); this test also walks
every page each role can open, then checks everything recorded in this session.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from ketacare.accounts.policy import Role
from ketacare.patients import services as patients
from ketacare.patients.models import Allergy
from tests.e2e.accessibility import serious_violations
from tests.e2e.conftest import OpenPage, RequestLog, outside
from tests.e2e.helpers import (
    access_for,
    log_in,
    log_out,
    make_clinic,
    make_staff,
    open_patients,
    register,
)

pytestmark = pytest.mark.e2e

CHART_TABS = [
    "Weight & height",
    "Allergies",
    "Medications",
    "Diagnoses",
    "Consents",
    "Measures",
    "Sessions",
    "Plan & orders",
    "History",
    "Eligibility",
    "Outcomes",
    "E-consent",
    "Education",
    "Overview",
]


# Every axe-core problem of every page walked, reported together at the end.
INACCESSIBLE: list[str] = []


def _check(page: Page) -> None:
    page.wait_for_load_state("networkidle")
    INACCESSIBLE.extend(serious_violations(page))


def _visit(page: Page, path: str, status: int = 200) -> None:
    response = page.goto(path)
    assert response is not None
    assert response.status == status, f"{path} answered {response.status}"
    _check(page)


def test_no_page_requests_anything_outside_the_live_server(
    open_page: OpenPage,
    live_server: Any,
    request_log: RequestLog,
) -> None:
    clinic = make_clinic("riverside", "Riverside Ketamine Clinic")
    make_staff("admin", {clinic: Role.CLINIC_ADMIN})
    prescriber = make_staff("dr.okafor", {clinic: Role.PRESCRIBER})
    make_staff("compliance.novak", {clinic: Role.COMPLIANCE})
    make_staff("researcher.ito", {clinic: Role.RESEARCHER})
    access = access_for(prescriber, clinic)
    patient = register(access, "RKC-0001", "Amara", "Okonkwo")
    patients.record_add(
        access=access,
        patient_id=patient.pk,
        model=Allergy,
        data={"substance": "Latex", "severity": "mild"},
    )
    chart = f"/c/riverside/patients/{patient.pk}/"

    page = open_page()
    _visit(page, "/login/")
    log_in(page, "dr.okafor")  # lands on the dashboard
    open_patients(page)
    with page.expect_response(re.compile(r"/patients/\?q=Oko")):
        page.get_by_role("searchbox").fill("Oko")
    _visit(page, "/c/riverside/patients/new/")
    _visit(page, chart)
    for label in CHART_TABS:
        page.get_by_role("tab", name=label, exact=True).click()
        _check(page)
    _visit(page, f"{chart}edit/")
    _visit(page, "/c/riverside/tokens/")
    _visit(page, "/c/riverside/simulator/")  # the Plotly chart: served locally
    page.get_by_role("button", name="Simulate").click()
    expect(page.locator("#sim-chart")).to_have_attribute("data-rendered", "true")
    _check(page)
    # Swagger UI, served from the app's own static files; a third-party page for
    # integrators, not a clinic screen, so axe-core's verdict on it is not ours to fix.
    page.goto("/api/v1/docs")
    expect(page.get_by_text("KetaCare API")).to_be_visible()
    _visit(page, "/c/elsewhere/patients/", status=404)
    log_out(page)

    log_in(page, "compliance.novak")
    _visit(page, "/c/riverside/audit/?patient_mrn=RKC-0001")
    log_out(page)

    log_in(page, "researcher.ito")
    expect(page.get_by_role("heading", level=1)).to_have_text("Riverside Ketamine Clinic")
    _visit(page, "/c/riverside/patients/", status=403)
    log_out(page)

    log_in(page, "admin")
    page.get_by_role("link", name="Staff admin").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))
    page.wait_for_load_state("networkidle")
    _visit(page, "/admin/accounts/membership/")

    base = live_server.url
    assert f"{base}/static/ketacare/app.css" in request_log.current
    assert any(
        re.match(rf"{re.escape(base)}/static/django_htmx/htmx[^/]*\.js$", url)
        for url in request_log.current
    ), "htmx is not served by the app itself"
    assert any(url.startswith(f"{base}/static/admin/") for url in request_log.current)
    assert any(url.startswith(f"{base}/static/ninja/") for url in request_log.current)
    assert INACCESSIBLE == [], "\n".join(INACCESSIBLE)
    # Everything any browser test asked for in this session, this one included.
    assert outside(request_log.session, base) == []


def test_outside_keeps_only_urls_off_the_live_server() -> None:
    base = "http://localhost:8123"
    urls = [
        f"{base}/",
        f"{base}/static/ketacare/app.css",
        "data:image/png;base64,AAAA",
        "about:blank",
        "https://cdn.jsdelivr.net/npm/htmx.org",
        "http://localhost:81234/x",
        "http://localhost:8123.evil.example/x",
        "https://fonts.googleapis.com/css",
    ]
    assert outside(urls, base) == urls[4:]
