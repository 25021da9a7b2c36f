"""The web patient list: clinic B's staff find only clinic B's patients, by name, MRN
or date of birth, page by page, with archived patients only on request."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

import pytest
from django.test import Client

from ketacare.accounts.models import Clinic, User
from ketacare.patients import services
from ketacare.patients.models import Patient
from tests.api.world import World
from tests.factories import UserFactory
from tests.pages import without_csrf_tokens

LIST = "/c/clinic-b/patients/"


def _patient(clinic: Clinic, mrn: str, given: str, family: str, born: str) -> Patient:
    return Patient.objects.create(
        clinic=clinic,
        mrn=mrn,
        legal_given_name=given,
        legal_family_name=family,
        date_of_birth=dt.date.fromisoformat(born),
        sex_at_birth="male",
        created_by=cast(User, UserFactory()),
    )


@pytest.fixture
def registry(world: World) -> World:
    b, a = world.b.clinic, world.a.clinic
    _patient(b, "B-3001", "Carla", "Smith", "1980-05-17")
    _patient(b, "B-3002", "Dmitri", "Smithson", "1966-11-30")
    gus = _patient(b, "B-3099", "Gus", "Smith", "1959-03-03")
    services.patient_archive(access=world.b_member, patient_id=gus.pk, reason="Moved away")
    _patient(a, "B-3001", "Anna", "Smith", "1980-05-17")  # clinic A: same MRN and birthday
    _patient(a, "A-1002", "Hal", "Smithson", "1966-11-30")
    return world


@pytest.fixture(params=["b-member", "dual-member"])
def browser(request: pytest.FixtureRequest, registry: World) -> Client:
    user = registry.b_member.user if request.param == "b-member" else registry.dual_b.user
    client = Client()
    client.force_login(user)
    return client


def listed(browser: Client, htmx: bool = False, **query: str) -> list[str]:
    headers = {"HX-Request": "true"} if htmx else {}
    response = browser.get(LIST, query, headers=headers)
    assert response.status_code == 200
    page = response.context["page"]
    names = [p.legal_given_name for p in page.object_list]
    html = without_csrf_tokens(response.content.decode())
    for given in names:
        assert given in html
    # The header names the signed-in member, whose made-up name may contain a look-alike's
    # ("Robert Hall" holds "Hal"): that is not clinic A's patient reaching the page.
    user = cast(User, response.wsgi_request.user)
    for own in (user.get_full_name(), user.display_name, user.get_username()):
        html = html.replace(own, "") if own else html
    # Nothing of clinic A's look-alikes reaches the page (bar the query, echoed back).
    for absent in ("Alice", "Ashworth", "Anna", "Hal", "A-1001", "A-1002"):
        if absent not in query.values():
            assert absent not in html, absent
    return names


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx-partial"])
def test_search_finds_only_own_clinic(browser: Client, htmx: bool) -> None:
    assert listed(browser, htmx, q="smith") == ["Carla", "Dmitri"]
    assert listed(browser, htmx, q="B-3001") == ["Carla"]
    assert listed(browser, htmx, q="b-300") == ["Carla", "Dmitri"]
    assert listed(browser, htmx, q="1980-05-17") == ["Carla"]
    assert listed(browser, htmx, q="1966-11-30") == ["Dmitri"]
    assert listed(browser, htmx, q="Ashworth") == []
    assert listed(browser, htmx, q="A-1001") == []
    assert listed(browser, htmx) == ["Bruno", "Carla", "Dmitri"]


def test_partial_is_served_to_htmx(browser: Client) -> None:
    full = browser.get(LIST, {"q": "smith"})
    partial = browser.get(LIST, {"q": "smith"}, headers={"HX-Request": "true"})
    assert b"<html" in full.content
    assert b"<html" not in partial.content
    assert b"Smithson" in partial.content


def test_archived_patients_only_when_asked(browser: Client) -> None:
    assert listed(browser, q="smith") == ["Carla", "Dmitri"]
    assert listed(browser, q="smith", archived="1") == ["Carla", "Gus", "Dmitri"]
    assert listed(browser, q="B-3099") == []
    assert listed(browser, q="B-3099", archived="1") == ["Gus"]


def test_paging(registry: World, browser: Client, settings: Any) -> None:
    settings.KETACARE_PAGE_SIZE = 2
    for n in range(1, 6):
        _patient(registry.b.clinic, f"P-{n}", f"Pb{n}", "Pager", "1985-01-01")
        _patient(registry.a.clinic, f"P-{n}", f"Pa{n}", "Pager", "1985-01-01")

    def page(number: str | int) -> tuple[int, int, int, list[str]]:
        params: dict[str, str | int] = {"q": "pager", "page": number}
        response = browser.get(LIST, params)
        current = response.context["page"]
        names = [p.legal_given_name for p in current.object_list]
        return current.number, current.paginator.count, current.paginator.num_pages, names

    assert page(1) == (1, 5, 3, ["Pb1", "Pb2"])
    assert page(2) == (2, 5, 3, ["Pb3", "Pb4"])
    assert page(3) == (3, 5, 3, ["Pb5"])
    assert page(99) == (3, 5, 3, ["Pb5"])  # past the end: the last page
    assert page("abc") == (1, 5, 3, ["Pb1", "Pb2"])
    assert page("-1") == (1, 5, 3, ["Pb1", "Pb2"])
    response = browser.get(LIST, {"q": "pager", "page": "2"})
    assert b"Page 2 of 3" in response.content


def test_a_members_own_name_is_not_taken_for_a_look_alike(registry: World) -> None:
    """Found under a shifted clock: a made-up staff name, "Robert Hall", holds clinic A's
    "Hal" in the page header, which is the member's own name, not a leak."""
    user = registry.b_member.user
    user.first_name, user.last_name, user.display_name = "Robert", "Hall", "Robert Hall"
    user.save()
    client = Client()
    client.force_login(user)
    assert listed(client, q="smith") == ["Carla", "Dmitri"]
