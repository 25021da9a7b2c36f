"""Patient search through /api/v1/patients: what matches, paging, archived patients,
and never a patient of another clinic (clinic A holds look-alikes of every query)."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

import pytest
from django.test import Client

from ketacare.accounts.models import User
from ketacare.audit.models import AuditEvent
from ketacare.patients import services
from ketacare.patients.models import Patient
from tests.api.operations import API
from tests.api.world import World, session_client, token_client
from tests.factories import UserFactory


def _patient(clinic: Any, mrn: str, given: str, family: str, born: str) -> Patient:
    return Patient.objects.create(
        clinic=clinic,
        mrn=mrn,
        legal_given_name=given,
        legal_family_name=family,
        date_of_birth=dt.date.fromisoformat(born),
        sex_at_birth="female",
        created_by=cast(User, UserFactory()),
    )


@pytest.fixture
def registry(world: World) -> World:
    """Clinic B's patients, and clinic A look-alikes that B's searches must never find."""
    b, a = world.b.clinic, world.a.clinic
    _patient(b, "B-3001", "Carla", "Smith", "1980-05-17")  # born the same day as A's Alice
    _patient(b, "B-3002", "Dmitri", "Smithson", "1966-11-30")
    _patient(b, "B-3010", "Eve", "Goldsmith", "1992-01-01")
    _patient(b, "C-4000", "Fiona", "Ashworth", "1971-07-07")  # A's Alice is an Ashworth too
    gus = _patient(b, "B-3099", "Gus", "Smith", "1959-03-03")
    services.patient_archive(access=world.b_member, patient_id=gus.pk, reason="Moved away")
    _patient(a, "B-3001", "Anna", "Smith", "1980-05-17")  # same MRN as Carla, other clinic
    _patient(a, "A-1002", "Hal", "Smithson", "1966-11-30")
    for n in range(1, 4):
        _patient(a, f"A-50{n}", f"Pa{n}", "Pager", "1985-01-01")
    return world


def search(caller: Client, **query: str | int) -> dict[str, Any]:
    response = caller.get(f"{API}/patients", query)
    assert response.status_code == 200, response.content
    page: dict[str, Any] = response.json()
    return page


def names(caller: Client, **query: str | int) -> list[str]:
    items = search(caller, **query)["items"]
    return [f"{p['legal_given_name']} {p['legal_family_name']}" for p in items]


@pytest.fixture(params=["session", "token"])
def caller(request: pytest.FixtureRequest, registry: World) -> Client:
    """A clinic-B caller: a B-only member's session, or a dual member's clinic-B token."""
    if request.param == "session":
        return session_client(registry.b_member)
    return token_client(registry.dual_token_b)


def test_search_by_name_fragment_ignores_case(caller: Client) -> None:
    expected = ["Eve Goldsmith", "Carla Smith", "Dmitri Smithson"]
    assert names(caller, q="smith") == expected
    assert names(caller, q="SMITH") == expected
    assert names(caller, q="MiTh") == expected
    assert names(caller, q="Dmitri") == ["Dmitri Smithson"]


def test_search_by_mrn_exact_and_prefix(caller: Client) -> None:
    assert names(caller, q="B-3001") == ["Carla Smith"]  # not clinic A's Anna, same MRN
    assert names(caller, q="b-3001") == ["Carla Smith"]
    assert names(caller, q="B-300") == ["Carla Smith", "Dmitri Smithson"]
    assert names(caller, q="A-1002") == []  # clinic A's Hal


def test_search_by_date_of_birth(caller: Client) -> None:
    assert names(caller, q="1980-05-17") == ["Carla Smith"]  # not clinic A's Alice or Anna
    assert names(caller, q="1966-11-30") == ["Dmitri Smithson"]  # not clinic A's Hal
    assert names(caller, q="1999-12-31") == []


def test_search_words_must_all_match(caller: Client) -> None:
    assert names(caller, q="smith 1980-05-17") == ["Carla Smith"]
    assert names(caller, q="carla smithson") == []


def test_search_never_finds_another_clinics_patients(caller: Client) -> None:
    assert names(caller, q="Ashworth") == ["Fiona Ashworth"]
    assert names(caller, q="Alice") == []
    assert names(caller, q="A-1001") == []
    assert names(caller, q="Pager") == []
    assert names(caller, q="Anna", include_archived="true") == []
    everyone = set(names(caller, include_archived="true"))
    assert everyone == {
        f"{p.legal_given_name} {p.legal_family_name}"
        for p in Patient.objects.exclude(clinic__slug="clinic-a")
    }


def test_archived_patients_only_when_asked(caller: Client) -> None:
    assert "Gus Smith" not in names(caller, q="smith")
    assert "Gus Smith" not in names(caller, q="B-3099")
    assert names(caller, q="smith", include_archived="true") == [
        "Eve Goldsmith",
        "Carla Smith",
        "Gus Smith",
        "Dmitri Smithson",
    ]
    archived = search(caller, q="B-3099", include_archived="true")
    assert archived["items"][0]["archived_at"] is not None
    assert archived["items"][0]["archive_reason"] == "Moved away"


def test_paging_reports_count_pages_and_page_size(registry: World, caller: Client) -> None:
    for n in range(1, 8):  # seven clinic-B Pagers; clinic A has three more
        _patient(registry.b.clinic, f"P-{n:03d}", f"Pb{n}", "Pager", "1985-01-01")
    pages = [search(caller, q="pager", page_size=3, page=n) for n in (1, 2, 3)]
    assert [(p["count"], p["pages"], p["page_size"], p["page"]) for p in pages] == [
        (7, 3, 3, 1),
        (7, 3, 3, 2),
        (7, 3, 3, 3),
    ]
    seen = [p["legal_given_name"] for page in pages for p in page["items"]]
    assert seen == [f"Pb{n}" for n in range(1, 8)]  # ordered, no repeats, no gaps

    beyond = search(caller, q="pager", page_size=3, page=9)
    assert beyond["page"] == 3  # past the end: the last page
    assert [p["legal_given_name"] for p in beyond["items"]] == ["Pb7"]

    default = search(caller, q="pager")
    assert (default["page_size"], default["pages"], len(default["items"])) == (25, 1, 7)


def test_cursors_walk_the_registry_in_order_once_each(registry: World, caller: Client) -> None:
    """Ties on both names are ordered by MRN, so no patient is skipped or repeated."""
    clinic = registry.b.clinic
    for mrn, given in (("K-9", "Ann"), ("K-1", "Ann"), ("K-5", "Bea"), ("K-3", "Ann")):
        _patient(clinic, mrn, given, "Keyes", "1985-01-01")
    for n in range(1, 6):
        _patient(clinic, f"K-2{n}", "Cy", "Keyes", "1985-01-01")
    everyone = search(caller, q="keyes", page_size=200)["items"]
    assert everyone[0]["mrn"] == "K-1" and everyone[2]["mrn"] == "K-9"

    walked, page = [], search(caller, q="keyes", page_size=2)
    while True:
        walked += page["items"]
        if page["next_cursor"] is None:
            break
        assert page["page_size"] == 2 and len(page["items"]) == 2
        page = search(caller, q="keyes", page_size=2, cursor=page["next_cursor"])
    assert [p["mrn"] for p in walked] == [p["mrn"] for p in everyone]
    assert page["count"] is None and page["page"] is None  # a cursor page counts nothing


def test_a_cursor_page_is_audited_as_a_search(registry: World, caller: Client) -> None:
    first = search(caller, q="smith", page_size=1, include_archived="true")
    search(caller, q="smith", page_size=1, include_archived="true", cursor=first["next_cursor"])
    event = AuditEvent.objects.filter(clinic=registry.b.clinic).latest("sequence")
    assert (event.action, event.details["cursor"]) == ("search", first["next_cursor"])
    assert [str(i) for i in event.details["patient_ids"]] == [
        str(Patient.objects.get(clinic=registry.b.clinic, mrn="B-3001").pk)
    ]


@pytest.mark.parametrize("cursor", ["not-a-cursor", "WyJhIl0", "e30"], ids=str)
def test_a_bad_cursor_is_422_naming_it(caller: Client, cursor: str) -> None:
    response = caller.get(f"{API}/patients", {"cursor": cursor})
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["query", "cursor"]
    assert "not valid" in error["msg"]


@pytest.mark.parametrize(
    "query",
    [{"page": 0}, {"page": -1}, {"page_size": 0}, {"page_size": 201}, {"page": "x"}],
    ids=str,
)
def test_bad_paging_parameters_are_422(caller: Client, query: dict[str, str | int]) -> None:
    response = caller.get(f"{API}/patients", query)
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["query", next(iter(query))]


def test_each_search_is_audited_in_the_callers_clinic(registry: World, caller: Client) -> None:
    before_a = AuditEvent.objects.filter(clinic=registry.a.clinic).count()
    before_b = AuditEvent.objects.filter(clinic=registry.b.clinic).count()
    search(caller, q="smith")
    assert AuditEvent.objects.filter(clinic=registry.a.clinic).count() == before_a
    event = AuditEvent.objects.filter(clinic=registry.b.clinic).latest("sequence")
    assert AuditEvent.objects.filter(clinic=registry.b.clinic).count() == before_b + 1
    assert (event.action, event.details["query"], event.details["results"]) == (
        "search",
        "smith",
        3,
    )
