"""The de-identified research export: consent, Safe Harbor, k-anonymity, audit."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from django.core.management import call_command
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from ketacare.accounts.policy import Role
from ketacare.audit.models import AuditEvent
from ketacare.exchange import deid, research
from ketacare.measures.models import Score
from ketacare.patients.models import Consent, Patient
from ketacare.treatment.models import TreatmentSession
from tests.clock import fix_clock
from tests.exchange.world import Charted
from tests.factories import PatientFactory

K = 11


def consent(patient: Patient, decision: str = "granted", on: dt.date | None = None) -> None:
    Consent.objects.create(
        patient=patient,
        clinic=patient.clinic,
        entered_by=patient.created_by,
        kind="research",
        decision=decision,
        document_version="1",
        decided_on=on or dt.date(2025, 1, 1),
    )


# CI failed at this moment: the charted session is scheduled at 23:45 (London, in winter)
# and dosed at 00:15, so its scheduled day and the course's first-dose day differ.
DOSED_AFTER_MIDNIGHT = dt.datetime(2026, 12, 5, 2, 45, tzinfo=dt.UTC)


@pytest.fixture(params=["run clock", "dosed after midnight"])
def moment(request: pytest.FixtureRequest) -> None:
    """The world is charted at the run's clock, and again with the session's dosing
    just past midnight at the clinic."""
    if request.param == "dosed after midnight":
        fix_clock(DOSED_AFTER_MIDNIGHT)


@pytest.fixture
def cohort(moment: None, charted: Charted, charted_other: Charted) -> Charted:
    """The charted patient plus 11 more women of the same decade, all consenting; a
    95-year-old and a lone man consenting; one who withdrew; one who never consented."""
    clinic = charted.access.clinic
    consent(charted.patient)
    for n in range(11):
        consent(
            PatientFactory.create(
                clinic=clinic,
                legal_given_name=f"Zelda{n}",
                legal_family_name=f"Xenakis{n}",
                date_of_birth=dt.date(1961, 1 + n, 10),
                phone=f"+1 555 01{n:02d}",
                email=f"zx{n}@mail.example",
                address=f"{n} Elm Row",
            )
        )
    consent(PatientFactory.create(clinic=clinic, date_of_birth=dt.date(1925, 5, 5)))
    consent(PatientFactory.create(clinic=clinic, sex_at_birth="male"))
    withdrew = PatientFactory.create(clinic=clinic)
    consent(withdrew, on=dt.date(2024, 1, 1))
    consent(withdrew, "withdrawn", on=dt.date(2025, 6, 1))
    PatientFactory.create(clinic=clinic)
    consent(charted_other.patient)
    return charted


def read(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text())))


def parquet_rows(path: Path) -> list[dict[str, str]]:
    """A Parquet file's rows as the CSV shows them: null is an empty cell."""
    return [
        {k: "" if v is None else str(v) for k, v in row.items()}
        for row in pq.read_table(path).to_pylist()
    ]


def parquet_strings(directory: Path) -> list[str]:
    """Every string cell of every Parquet table (not the dictionary), read with pyarrow."""
    cells = []
    for path in sorted(directory.glob("*.parquet")):
        if path.name != "data_dictionary.parquet":
            for column in pq.read_table(path).columns:
                cells += [v for v in column.to_pylist() if isinstance(v, str)]
    return cells


def identifiers() -> set[str]:
    """Every identifier in the database: names, MRNs, birth dates, phones, e-mails,
    addresses, and every exact date of a session or score."""
    found: set[str] = set()
    for p in Patient.objects.all():
        found |= {p.legal_given_name, p.legal_family_name, p.mrn, p.phone, p.email, p.address}
        found |= {p.date_of_birth.isoformat(), p.date_of_birth.strftime("%m/%d/%Y")}
    for s in TreatmentSession.objects.all():
        found.add(s.scheduled_start.date().isoformat())
    for score in Score.objects.all():
        found.add(score.answered_at.date().isoformat())
    return {value for value in found if value}


@pytest.mark.django_db
def test_the_export_holds_no_identifier_and_no_small_group(cohort: Charted, tmp_path: Path) -> None:
    call_command("research_export", clinic="clinic-a", out=tmp_path, stdout=io.StringIO())
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "data_dictionary.csv",
        "data_dictionary.parquet",
        "outcomes.csv",
        "outcomes.parquet",
        "patients.csv",
        "patients.parquet",
        "scores.csv",
        "scores.parquet",
        "sessions.csv",
        "sessions.parquet",
    ]
    text = "\n".join(
        p.read_text() for p in tmp_path.glob("*.csv") if p.name != "data_dictionary.csv"
    )
    cells = parquet_strings(tmp_path)
    assert cells
    for value in identifiers():
        found = re.compile(rf"(?<![\w-]){re.escape(value)}(?![\w-])", re.I)
        assert not found.search(text), value
        assert not any(found.search(cell) for cell in cells), value
    patients = read(tmp_path / "patients.csv")
    assert len(patients) == 12  # the consenting women; the outliers are left out
    groups = Counter((r["age_band"], r["sex"], r["site"]) for r in patients)
    assert min(groups.values()) >= K
    ids = {r["research_id"] for r in patients}
    scores = read(tmp_path / "scores.csv")
    assert scores and {r["research_id"] for r in scores} <= ids
    sessions = read(tmp_path / "sessions.csv")
    assert sessions[0]["drug"] == "esketamine" and sessions[0]["devices"] == "2"
    # Day 0 is the patient's first score (4 hours before the session, same day or the
    # day before): the session's day number is the true interval in the clinic's days,
    # counted to when its dosing started.
    clinic = cohort.access.clinic
    first_score = clinic.date_of(Score.objects.get(patient=cohort.patient).answered_at)
    assert cohort.session.dosing_started_at is not None
    expected = (clinic.date_of(cohort.session.dosing_started_at) - first_score).days
    assert sessions[0]["day"] == str(expected)
    assert scores[0]["day"] == "0"
    # One course (the charted patient's): its first dose on the session's day number,
    # with the verdicts the dashboard counts, as codes the dictionary lists.
    outcomes = read(tmp_path / "outcomes.csv")
    assert len(outcomes) == 1
    course = outcomes[0]
    assert course["research_id"] == sessions[0]["research_id"] and course["course"] == "1"
    assert course["first_dose_day"] == sessions[0]["day"] and course["sessions"] == "1"
    statuses = {"met", "not_met", "missing", "not_applicable"}
    assert {course["response"], course["remission"], course["relapse"]} <= statuses
    event = AuditEvent.objects.get(object_type="research.export")
    assert event.details["patients"] == 12 and event.details["k"] == K
    assert event.details["left_out_small_cells"] == 2


@pytest.mark.django_db
def test_the_parquet_files_hold_the_csv_rows_with_the_dictionary_types(
    cohort: Charted, tmp_path: Path
) -> None:
    call_command("research_export", clinic="clinic-a", out=tmp_path, stdout=io.StringIO())
    types = {"text": "string", "integer": "int32", "decimal(6,1)": "decimal128(6, 1)"}
    for table in research.TABLES:
        parquet = pq.read_table(tmp_path / f"{table}.parquet")
        wanted = [(c, types[t]) for name, c, t, _, _ in research.DICTIONARY if name == table]
        assert [(f.name, str(f.type)) for f in parquet.schema] == wanted
        csv_rows = read(tmp_path / f"{table}.csv")
        assert csv_rows and parquet_rows(tmp_path / f"{table}.parquet") == csv_rows, table
    sessions = pq.read_table(tmp_path / "sessions.parquet").to_pylist()
    assert isinstance(sessions[0]["day"], int) and sessions[0]["devices"] == 2
    dictionary = pq.read_table(tmp_path / "data_dictionary.parquet").to_pylist()
    assert (
        len(dictionary) == len(read(tmp_path / "data_dictionary.csv")) == len(research.DICTIONARY)
    )


@pytest.mark.django_db
def test_research_ids_are_new_in_every_export(cohort: Charted, tmp_path: Path) -> None:
    call_command("research_export", clinic="clinic-a", out=tmp_path / "1", stdout=io.StringIO())
    call_command("research_export", clinic="clinic-a", out=tmp_path / "2", stdout=io.StringIO())
    first = {r["research_id"] for r in read(tmp_path / "1" / "patients.csv")}
    second = {r["research_id"] for r in read(tmp_path / "2" / "patients.csv")}
    assert first.isdisjoint(second)


@pytest.mark.django_db
def test_the_page_is_for_researchers_and_compliance_only(cohort: Charted, make_access: Any) -> None:
    researcher = make_access(Role.RESEARCHER, cohort.access.clinic)
    page = Client()
    page.force_login(researcher.user)
    url = "/c/clinic-a/exchange/research/"
    assert b"14 patient(s) have consented" in page.get(url).content
    download = page.post(url)
    assert download["Content-Type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(download.content)).namelist()
    assert {"data_dictionary.csv", "sessions.parquet", "scores.parquet"} <= set(names)
    officer = make_access(Role.COMPLIANCE, cohort.access.clinic)
    compliance = Client()
    compliance.force_login(officer.user)
    seen = compliance.get(url).content
    assert b"Past research exports" in seen and researcher.user.username.encode() in seen
    nurse = make_access(Role.NURSE, cohort.access.clinic)
    other = Client()
    other.force_login(nurse.user)
    assert other.get(url).status_code == 403


# ---------------------------------------------------------------- the pure core


@pytest.mark.parametrize(
    ("age", "band"),
    [(17, "<18"), (18, "18-29"), (35, "30-39"), (89, "80-89"), (90, "90+"), (104, "90+")],
)
def test_age_bands_group_every_age_over_89(age: int, band: str) -> None:
    assert deid.age_band(age) == band


@given(st.dates(), st.dates(), st.dates())
def test_day_numbers_keep_every_interval(anchor: dt.date, a: dt.date, b: dt.date) -> None:
    assert deid.day_number(b, anchor) - deid.day_number(a, anchor) == (b - a).days
    assert deid.day_number(anchor, anchor) == 0


@given(
    st.dictionaries(
        st.text(min_size=1, max_size=4),
        st.builds(
            deid.QuasiIdentifiers,
            age=st.integers(18, 105),
            sex=st.sampled_from(["female", "male", "intersex", "unknown"]),
            site=st.sampled_from(["site-1", "site-2"]),
        ),
        max_size=60,
    ),
    st.integers(1, 15),
)
def test_k_anonymise_leaves_no_cell_smaller_than_k(
    people: dict[str, deid.QuasiIdentifiers], k: int
) -> None:
    kept, left_out = deid.k_anonymise(people, k)
    assert set(kept) | set(left_out) == set(people)
    assert not set(kept) & set(left_out)
    counts = Counter(q.cell() for q in kept.values())
    assert all(n >= k for n in counts.values())
    for q in kept.values():
        assert q.age_label != "" and (q.age < 90 or q.age_label in ("90+", "any"))
