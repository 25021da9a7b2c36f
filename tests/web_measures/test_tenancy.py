"""Every measurement page under a clinic answers 404 to staff of another clinic, and
writes nothing: with the other clinic's slug, or with their own slug and the other
clinic's patient, alert or link ids. A control shows the same requests work in the
records' own clinic."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, reverse

from ketacare.accounts.models import Clinic
from ketacare.patients.models import Patient
from ketacare.web import urls as web_urls
from tests.api.world import ClinicRecords, World, build_world, clinic_state, record_counts
from tests.pages import without_csrf_tokens
from tests.web_measures.conftest import new_patient, signed_in

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Page:
    name: str
    kwargs: Callable[[ClinicRecords], dict[str, Any]]
    post: dict[str, Any] = field(default_factory=dict)
    serves_get: bool = True

    def url(self, records: ClinicRecords, **override: Any) -> str:
        return reverse(self.name, kwargs={**self.kwargs(records), **override})


@pytest.fixture
def world(clinic: Clinic, other_clinic: Clinic) -> World:
    """Clinic A and B, each patient with a PHQ-9, its open alert and an open link."""
    return build_world(clinic, other_clinic)


def _slug(r: ClinicRecords) -> dict[str, Any]:
    return {"clinic_slug": r.clinic.slug}


def _patient(r: ClinicRecords) -> dict[str, Any]:
    return {**_slug(r), "patient_id": r.patient.pk}


RECORD = {"instrument": "gad7", "context": "baseline"} | {f"item_{n}": "1" for n in range(1, 8)}
PLAN = {
    "starts_on": "2025-01-01",
    "rules-TOTAL_FORMS": "1",
    "rules-INITIAL_FORMS": "0",
    "rules-0-kind": "every_n_days",
    "rules-0-instruments": ["phq9"],
    "rules-0-interval_days": "14",
}
PAGES = [
    Page("dashboard", _slug),
    Page(
        "alert_acknowledge",
        lambda r: {**_slug(r), "alert_id": r.alert_id},
        post={"action_taken": "contacted_patient", "note": "ok"},
        serves_get=False,
    ),
    Page("patient_measures", _patient),
    Page("measure_record", _patient, post=RECORD, serves_get=False),
    Page(
        "measure_link_create",
        _patient,
        post={"instruments": ["gad7"], "context": "baseline", "channel": "none"},
        serves_get=False,
    ),
    Page(
        "measure_link_revoke",
        lambda r: {**_patient(r), "link_id": r.link_id},
        serves_get=False,
    ),
    Page("measure_plan", _patient, post=PLAN, serves_get=False),
]
IDS = [p.name for p in PAGES]
NEW_NAMES = {p.name for p in PAGES}


def test_the_list_covers_every_measurement_page() -> None:
    """A new page in the measures or dashboard views fails here until it is in PAGES."""
    modules = {"ketacare.web.views.measures", "ketacare.web.views.dashboard"}
    names = {
        p.name
        for p in web_urls.urlpatterns
        if isinstance(p, URLPattern) and p.callback.__module__ in modules
    }
    assert names == {p.name for p in PAGES}


def _assert_404(client: Client, page: Page, url: str, clinic: Clinic, patient: Patient) -> None:
    before, counts = clinic_state(clinic), record_counts()
    got = client.get(url)
    assert got.status_code in ((404,) if page.serves_get else (404, 405)), (url, got.status_code)
    for data in (page.post, {}):
        posted = client.post(url, data)
        assert posted.status_code == 404, (url, data, posted.status_code)
    assert clinic_state(clinic) == before
    assert record_counts() == counts
    assert patient.legal_family_name not in without_csrf_tokens(got.content.decode())


@pytest.mark.parametrize("page", PAGES, ids=IDS)
def test_page_works_in_its_own_clinic(world: World, page: Page) -> None:
    client = signed_in(world.dual_a)
    got = client.get(page.url(world.a))
    assert got.status_code in ((200,) if page.serves_get else (405,))
    posted = client.post(page.url(world.a), page.post)
    assert posted.status_code in (200, 302), posted.content.decode()[:2000]


@pytest.mark.parametrize("page", PAGES, ids=IDS)
def test_other_clinics_staff_get_404_with_its_slug(world: World, page: Page) -> None:
    a = world.a
    _assert_404(signed_in(world.b_member), page, page.url(a), a.clinic, a.patient)


@pytest.mark.parametrize("who", ["b-member", "dual-member"])
@pytest.mark.parametrize("page", [p for p in PAGES if p.name != "dashboard"], ids=IDS[1:])
def test_own_slug_with_the_other_clinics_ids_is_404(world: World, page: Page, who: str) -> None:
    """Staff of clinic B, in clinic B's pages, naming clinic A's patient, alert or link.
    The dual member could reach them under clinic A's slug, but not from clinic B."""
    a, b = world.a, world.b
    user = world.b_member if who == "b-member" else world.dual_b
    url = page.url(a, clinic_slug=b.clinic.slug)
    _assert_404(signed_in(user), page, url, a.clinic, a.patient)


def test_the_other_clinics_link_under_an_own_patient_is_404(world: World) -> None:
    url = reverse(
        "measure_link_revoke",
        kwargs={
            "clinic_slug": world.b.clinic.slug,
            "patient_id": world.b.patient.pk,
            "link_id": world.a.link_id,
        },
    )
    page = next(p for p in PAGES if p.name == "measure_link_revoke")
    _assert_404(signed_in(world.dual_b), page, url, world.a.clinic, world.a.patient)


def test_a_link_under_another_patients_chart_is_404(world: World) -> None:
    a = world.a
    other = new_patient(world.dual_a, mrn="A-1002", family="Osei")
    url = reverse(
        "measure_link_revoke",
        kwargs={"clinic_slug": a.clinic.slug, "patient_id": other.pk, "link_id": a.link_id},
    )
    before = clinic_state(a.clinic)
    assert signed_in(world.dual_a).post(url).status_code == 404
    assert clinic_state(a.clinic) == before
