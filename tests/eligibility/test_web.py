"""The History and Eligibility tabs, the header summary and the settings page."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.policy import Role
from ketacare.eligibility.models import CautionAcceptance, EligibilitySettings, ScreeningResult
from ketacare.eligibility.screening import Item
from tests.api.world import member
from tests.eligibility.conftest import Team


def signed_in(access: ClinicAccess) -> Client:
    client = Client()
    client.force_login(access.user)
    return client


def url(team: Team, name: str, **kwargs: object) -> str:
    return reverse(
        name, kwargs={"clinic_slug": team.clinic.slug, "patient_id": team.patient.pk, **kwargs}
    )


def test_history_tab_shows_adequacy_and_how_staging_was_reached(team: Team) -> None:
    page = signed_in(team.nurse).get(url(team, "patient_chart_section", section="history"))
    text = page.content.decode()
    assert page.status_code == 200
    assert "treatment-resistant" in text and "Thase" in text and "Maudsley" in text
    assert "Adequate: 150 mg/day (minimum 50) for 8 weeks." in text
    assert "failed adequate classes: snri, ssri" in text


def test_adding_a_trial_from_the_tab(team: Team) -> None:
    client = signed_in(team.nurse)
    response = client.post(
        url(team, "history_add", kind="trials"),
        {
            "drug": "Nortriptyline",
            "drug_class": "tca",
            "max_daily_dose_mg": "100",
            "weeks_at_dose": "6",
            "adherence": "good",
            "outcome": "no_response",
            "in_current_episode": "on",
        },
        follow=True,
    )
    assert "Antidepressant trial saved." in response.content.decode()
    assert "stage III" in response.content.decode()


def test_running_screening_and_accepting_a_caution(team: Team) -> None:
    form = {
        "protocol_code": "iv_ketamine",
        "bp_systolic": "150",
        "bp_diastolic": "95",
        **{f"item_{item.value}": "no" for item in Item},
    }
    nurse = signed_in(team.nurse)
    page = nurse.post(url(team, "screening_run"), form, follow=True).content.decode()
    assert "Screened: eligible with cautions." in page
    assert "Accept caution" not in page  # nurses may not accept
    screening = ScreeningResult.objects.get()
    prescriber = signed_in(team.prescriber)
    page = prescriber.post(
        url(team, "caution_accept", screening_id=screening.pk),
        {
            "code": "uncontrolled_hypertension",
            "justification": "Anxious on arrival; repeat 132/84.",
        },
        follow=True,
    ).content.decode()
    assert "Caution accepted." in page
    assert CautionAcceptance.objects.get().accepted_by == team.prescriber.user
    chart = prescriber.get(url(team, "patient_chart")).content.decode()
    assert (
        'class="screening-summary"' in chart
        and "IV racemic ketamine: eligible with cautions" in chart
    )


def test_settings_page_shows_cited_defaults_and_saves(team: Team) -> None:
    admin = signed_in(member(team.clinic, Role.CLINIC_ADMIN))
    settings_url = reverse("eligibility_settings", kwargs={"clinic_slug": team.clinic.slug})
    page = admin.get(settings_url).content.decode()
    assert "PMC10812090" in page and "PMC11193313" in page
    assert "no authoritative number exists" in page and "[NF]" not in page
    admin.post(settings_url, {"benzodiazepine_max_lorazepam_mg": "2"})
    assert EligibilitySettings.objects.get().overrides == {"benzodiazepine_max_lorazepam_mg": 2.0}
    assert signed_in(team.nurse).get(settings_url).status_code == 403


def test_a_not_eligible_result_is_a_warning_not_a_success_banner(team: Team) -> None:
    form = {
        "protocol_code": "iv_ketamine",
        "bp_systolic": "120",
        "bp_diastolic": "80",
        **{f"item_{item.value}": "no" for item in Item},
        f"item_{Item.ANEURYSM.value}": "yes",
    }
    page = signed_in(team.nurse).post(url(team, "screening_run"), form, follow=True)
    text = page.content.decode()
    assert '<li class="msg msg-warning">Screened: not eligible.</li>' in text
    assert "msg-success" not in text


def test_a_refused_form_names_the_field(team: Team) -> None:
    page = signed_in(team.nurse).post(url(team, "screening_run"), {}, follow=True)
    text = page.content.decode()
    assert "Protocol: This field is required." in text
