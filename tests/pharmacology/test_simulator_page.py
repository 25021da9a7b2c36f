"""The simulator page: permissions, the patient start (audited, clinic-scoped), running and
comparing regimens, and form errors."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.models import Clinic
from ketacare.accounts.policy import Role
from ketacare.audit.models import AuditEvent
from ketacare.dosing import services as dosing
from tests.clinical import clear_for_protocol
from tests.factories import BodyMeasurementFactory, PatientFactory, clinic_today

pytestmark = pytest.mark.django_db

ONE_IV = {
    "r0-form": "iv",
    "r0-model": "domino",
    "r0-dose": "0.5",
    "r0-unit": "mg_per_kg",
    "r0-infusion_min": "40",
    "r0-doses": "1",
    "weight_kg": "70",
    "age_years": "40",
    "hours": "3",
    "subjects": "1",
    "hill": "2",
}
NASAL = {
    "r1-form": "intranasal",
    "r1-model": "",
    "r1-dose": "84",
    "r1-unit": "mg",
    "r1-infusion_min": "40",
    "r1-doses": "1",
}


def client_for(access: ClinicAccess) -> Client:
    client = Client()
    client.force_login(access.user)
    return client


def url(clinic: Clinic) -> str:
    return reverse("simulator", kwargs={"clinic_slug": clinic.slug})


def figure_of(html: str) -> dict[str, Any]:
    match = re.search(r'<script id="sim-figure" type="application/json">(.*?)</script>', html)
    assert match, "no figure on the page"
    document: dict[str, Any] = json.loads(match.group(1))
    return document


@pytest.mark.parametrize("role", [Role.PRESCRIBER, Role.NURSE, Role.RESEARCHER])
def test_roles_with_the_permission_open_the_page(
    role: Role, clinic: Clinic, make_access: Callable[..., ClinicAccess]
) -> None:
    got = client_for(make_access(role, clinic)).get(url(clinic))
    assert got.status_code == 200
    text = got.content.decode()
    assert "not a measurement and not dosing advice" in text
    assert "Perez-Ruixo et al. 2021" in text and "Olofsen et al. 2022" in text
    assert "not concentration-driven" in text
    assert f'href="{url(clinic)}"' in text  # the nav link


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.THERAPIST, Role.COMPLIANCE])
def test_roles_without_it_are_refused(
    role: Role, clinic: Clinic, make_access: Callable[..., ClinicAccess]
) -> None:
    client = client_for(make_access(role, clinic))
    assert client.get(url(clinic)).status_code == 403
    assert (
        f'href="{url(clinic)}"'
        not in client.get(reverse("patient_list", args=[clinic.slug])).content.decode()
    )


def test_one_regimen_gives_the_chart_and_the_summary(
    clinic: Clinic, make_access: Callable[..., ClinicAccess]
) -> None:
    got = client_for(make_access(Role.PRESCRIBER, clinic)).get(url(clinic), ONE_IV)
    assert got.status_code == 200
    names = [trace["name"] for trace in figure_of(got.content.decode())["data"]]
    assert names[0].endswith("Cp, probably arterial blood (median)")
    assert names[1].endswith("Ce effect site (median)")
    # Domino, 0.5 mg/kg over 40 min: Cmax 240.3 ng/mL at 40 min (one typical subject),
    # rounded to whole ng/mL on screen.
    assert '<td class="cmax">240 [240–240]</td>' in got.content.decode()
    assert AuditEvent.objects.count() == 0  # a simulation reads no chart and writes nothing


def test_two_regimens_overlay_with_a_population_band(
    clinic: Clinic, make_access: Callable[..., ClinicAccess]
) -> None:
    client = client_for(make_access(Role.PRESCRIBER, clinic))
    added = client.get(url(clinic), {**ONE_IV, "regimens": "2"})
    assert 'data-regimen="2"' in added.content.decode()  # the form grew a second regimen
    assert 'name="r1-dose" value="56"' in added.content.decode()  # fresh, with defaults
    assert "This field is required" not in added.content.decode()
    assert added.content.decode().count('<td class="cmax">') == 1  # regimen 1 still shown
    both = client.get(url(clinic), {**ONE_IV, **NASAL, "regimens": "2", "subjects": "50"})
    data = figure_of(both.content.decode())["data"]
    names = [trace["name"] for trace in data]
    assert sum("5–95th percentile" in n for n in names) == 2
    assert any(n.startswith("Nasal spray (esketamine) 84 mg") for n in names)
    assert both.content.decode().count('<td class="cmax">') == 2
    layout = figure_of(both.content.decode())["layout"]
    assert layout["shapes"]  # dissociation window shaded


def test_the_iv_default_is_the_venous_model_and_every_label_is_shown(
    clinic: Clinic, make_access: Callable[..., ClinicAccess]
) -> None:
    client = client_for(make_access(Role.PRESCRIBER, clinic))
    got = client.get(url(clinic), {**ONE_IV, "r0-model": ""})
    html = got.content.decode()
    # Next to the model choice: each option and the form defaults name their blood.
    assert "Kamp 2020 (3-compartment, racemic IV) — arterial blood</option>" in html
    assert (
        "Clements 250 µg/kg (2-compartment, racemic IV) — probably venous blood (not confirmed)"
        "</option>" in html
    )
    assert (
        "IV infusion (racemic ketamine): Clements 250 µg/kg (2-compartment, racemic IV), "
        "probably venous blood (not confirmed)" in html
    )
    # The default IV regimen runs Clements: 177.3 ng/mL at the end of the infusion, shown
    # as 177 (the venous measurement is 185; Kamp 2020's arterial model gave 253).
    assert '<td class="cmax">177 [177–177]</td>' in html
    assert "Blood: probably venous blood (not confirmed)" in html
    # The chart legend and caption.
    names = [trace["name"] for trace in figure_of(html)["data"]]
    assert (
        names[0] == "IV infusion (racemic ketamine) 0.5 mg/kg: Cp, probably venous blood (median)"
    )
    assert (
        "<li>IV infusion (racemic ketamine) 0.5 mg/kg — Clements 250 µg/kg (2-compartment, "
        "racemic IV): probably venous blood (not confirmed)</li>" in html
    )
    # Every model's site with its source, and the check against the venous measurement.
    assert html.count("<em>Blood sampled:</em>") == 5
    assert "Kamp et al. 2020 (abstract): the model has one central arterial compartment" in html
    rows = dict(
        re.findall(r'<tr data-model="(\w+)">(.*?)</tr>', html)  # the check table
    )
    assert set(rows) == {"domino", "clements", "hijazi", "kamp2020"}
    assert (
        "<td>177</td><td>4% lower</td>" in rows["clements"] and "(IV default)" in rows["clements"]
    )
    assert (
        "<td>arterial blood</td><td>253</td><td>37% higher (outside ±20%)</td>" in rows["kamp2020"]
    )
    assert "Zarate et al. 2006" in html
    # Words for clinicians: no reference-file sections on screen.
    assert "§" not in html and "[NF]" not in html and "pharmacology.md" not in html


def test_form_errors_are_shown_not_raised(
    clinic: Clinic, make_access: Callable[..., ClinicAccess]
) -> None:
    bad = {**ONE_IV, "r0-form": "intranasal", "r0-model": "", "r0-dose": "50", "r0-unit": "mg"}
    got = client_for(make_access(Role.PRESCRIBER, clinic)).get(url(clinic), bad)
    assert got.status_code == 200
    assert "whole 28 mg devices" in got.content.decode()
    wrong_model = {
        **ONE_IV,
        "r0-form": "intranasal",
        "r0-model": "domino",
        "r0-dose": "56",
        "r0-unit": "mg",
    }
    got = client_for(make_access(Role.PRESCRIBER, clinic)).get(url(clinic), wrong_model)
    assert "has no intranasal route" in got.content.decode()


def test_starting_from_a_patient_uses_the_latest_weight_and_audits_the_read(
    clinic: Clinic, make_access: Callable[..., ClinicAccess]
) -> None:
    access = make_access(Role.PRESCRIBER, clinic)
    patient = PatientFactory.create(clinic=clinic)
    BodyMeasurementFactory.create(patient=patient, weight_kg=Decimal("88.0"))
    got = client_for(access).get(url(clinic), {"patient": str(patient.pk)})
    assert got.status_code == 200
    assert "latest recorded weight 88.0 kg" in got.content.decode()
    assert 'name="weight_kg" value="88.0"' in got.content.decode()
    event = AuditEvent.objects.get(patient_id=patient.pk)
    assert (event.action, event.details) == ("view", {"section": "weights"})


def test_a_patients_active_plan_prefills_the_regimen(
    clinic: Clinic, make_access: Callable[..., ClinicAccess]
) -> None:
    access = make_access(Role.PRESCRIBER, clinic)
    patient = PatientFactory.create(clinic=clinic)
    BodyMeasurementFactory.create(patient=patient, weight_kg=Decimal("70.0"))
    clear_for_protocol(access, patient.pk, "esketamine_trd")
    today = clinic_today(clinic)
    monday = today + dt.timedelta(days=7 - today.weekday())
    dosing.plan_create(
        access=access,
        patient_id=patient.pk,
        given=dosing.PlanInput(
            indication="major_depression",
            protocol_code="esketamine_trd",
            schedule="label_then_weekly",
            start_date=monday,
            start_dose=Decimal("56"),
        ),
    )
    html = client_for(access).get(url(clinic), {"patient": str(patient.pk)}).content.decode()
    assert re.search(r'<option value="intranasal" selected', html)
    assert 'name="r0-dose" value="56' in html
    assert 'name="r0-unit"' in html and re.search(r'<option value="mg" selected', html)
    # The label course: twice weekly first, so the median gap is 3 or 4 days; sessions are
    # at the clinic's clock time, so a gap across a daylight-saving change is an hour
    # shorter or longer (the median of 72 and 95 hours is 83.5).
    every = re.search(r'name="r0-every_hours" value="([0-9.]+)"', html)
    assert every
    assert min(abs(float(every.group(1)) - days * 24) for days in (3, 3.5, 4)) <= 1


def test_a_patient_elsewhere_or_unknown_is_404(
    clinic: Clinic, other_clinic: Clinic, make_access: Callable[..., ClinicAccess]
) -> None:
    client = client_for(make_access(Role.PRESCRIBER, clinic))
    elsewhere = PatientFactory.create(clinic=other_clinic)
    for patient_id in (str(elsewhere.pk), str(uuid.uuid4()), "not-a-uuid"):
        assert client.get(url(clinic), {"patient": patient_id}).status_code == 404
    # Each refusal is a denial in the requester's clinic, alike for all three ids; no read.
    denials = AuditEvent.objects.filter(clinic=clinic, action="deny")
    assert [e.details["status"] for e in denials] == [404, 404, 404]
    assert not AuditEvent.objects.exclude(action="deny").exists()


def test_a_researcher_may_simulate_but_not_open_a_chart(
    clinic: Clinic, make_access: Callable[..., ClinicAccess]
) -> None:
    patient = PatientFactory.create(clinic=clinic)
    client = client_for(make_access(Role.RESEARCHER, clinic))
    assert client.get(url(clinic), {"patient": str(patient.pk)}).status_code == 403


def test_ten_thousand_subjects_draw_percentile_bands_not_curves(
    clinic: Clinic, make_access: Callable[..., ClinicAccess]
) -> None:
    """The default cap (KETACARE_SIMULATOR_MAX_SUBJECTS, 10,000; issue 14): the page sends
    each regimen's median and 5–95th percentile band, the same size as for 50 subjects."""
    client = client_for(make_access(Role.PRESCRIBER, clinic))
    sizes = {}
    for subjects in ("50", "10000"):
        got = client.get(url(clinic), {**ONE_IV, "subjects": subjects})
        html = got.content.decode()
        assert "Ensure this value is less than or equal to" not in html
        figure = figure_of(html)
        assert len(figure["data"]) == 3  # band, median Cp, median Ce: not one per subject
        sizes[subjects] = len(json.dumps(figure))
        assert 'max="10000"' in html
    assert sizes["10000"] < sizes["50"] * 1.2  # percentiles: the figure does not grow
    refused = client.get(url(clinic), {**ONE_IV, "subjects": "10001"}).content.decode()
    assert "Ensure this value is less than or equal to 10000." in refused
    assert 'id="sim-figure"' not in refused


def test_the_population_cap_is_a_setting(
    clinic: Clinic, make_access: Callable[..., ClinicAccess], settings: Any
) -> None:
    settings.KETACARE_SIMULATOR_MAX_SUBJECTS = 100
    client = client_for(make_access(Role.PRESCRIBER, clinic))
    refused = client.get(url(clinic), {**ONE_IV, "subjects": "101"}).content.decode()
    assert "Ensure this value is less than or equal to 100." in refused
    assert 'max="100"' in refused
    assert figure_of(client.get(url(clinic), {**ONE_IV, "subjects": "100"}).content.decode())
