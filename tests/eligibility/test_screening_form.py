"""The screening form: each three-way question is a fieldset with its legend and its
radio buttons labelled beside them, the blood-pressure inputs are labelled, a "No to all
still unknown" button (served script, no inline script) is there, and several cautions
are accepted at once, each with its justification, every refusal naming its caution."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from ketacare.common.errors import ValidationFailed
from ketacare.eligibility import services
from ketacare.eligibility.models import CautionAcceptance, ScreeningResult
from ketacare.eligibility.screening import ITEMS
from ketacare.patients import services as patients
from ketacare.patients.models import Medication
from tests.eligibility.conftest import Team
from tests.eligibility.test_web import signed_in, url

pytestmark = pytest.mark.django_db

HIGH_BP = {"bp_systolic": "172", "bp_diastolic": "104"}


def _tab(client: Client, team: Team) -> str:
    return client.get(url(team, "patient_chart_section", section="eligibility")).content.decode()


def test_each_question_is_a_fieldset_with_labelled_answers(team: Team) -> None:
    page = _tab(signed_in(team.prescriber), team)
    items = re.findall(r'<fieldset class="checklist-item three-way".*?</fieldset>', page, re.S)
    assert len(items) == len(ITEMS)
    for item in items:
        assert '<legend class="question">' in item
        for answer in ("yes", "no", "unknown"):
            radio = re.search(rf'<input type="radio"[^>]*value="{answer}"[^>]*id="([^"]+)"', item)
            assert radio, answer
            label = re.search(rf'<label class="choice" for="{radio.group(1)}">.*?</label>', item)
            assert label and answer.capitalize() in label.group(0)
    for name in ("bp_systolic", "bp_diastolic"):
        assert re.search(rf'<label for="id_{name}">(Systolic|Diastolic)</label>', page), name
    assert 'data-answer-unknown="no"' in page
    assert "<script" not in page.split('screening-form">')[1].split("</form>")[0]


def test_the_no_to_all_script_is_served_from_the_static_files() -> None:
    found = finders.find("ketacare/app.js")
    script = Path(str(found)).read_text()
    assert "button[data-answer-unknown]" in script
    assert "value=unknown]:checked" in script


def _screened_with_two_cautions(team: Team) -> ScreeningResult:
    patients.record_add(
        access=team.prescriber,
        patient_id=team.patient.pk,
        model=Medication,
        data={"name": "Lorazepam", "dose": "2 mg", "frequency": "twice daily"},
    )
    return services.screening_run(
        access=team.prescriber,
        patient_id=team.patient.pk,
        protocol_code="iv_ketamine",
        checklist={
            "answers": {item.value: "no" for item in ITEMS},
            "bp_systolic": 150,
            "bp_diastolic": 95,
        },
    )


def _open_codes(screening: ScreeningResult) -> list[str]:
    return [r["code"] for r in services.open_cautions(screening)]


def test_two_cautions_are_accepted_at_once(team: Team) -> None:
    screening = _screened_with_two_cautions(team)
    codes = _open_codes(screening)
    assert len(codes) >= 2, screening.reasons
    client = signed_in(team.prescriber)
    page = _tab(client, team)
    for code in codes:
        assert f'name="justification:{code}"' in page
    response = client.post(
        url(team, "cautions_accept", screening_id=screening.pk),
        {f"justification:{code}": f"Reviewed {code} with the patient today." for code in codes},
        follow=True,
    )
    assert f"{len(codes)} cautions accepted." in response.content.decode()
    assert sorted(CautionAcceptance.objects.values_list("code", flat=True)) == sorted(codes)


def test_a_blank_justification_leaves_its_caution_open(team: Team) -> None:
    screening = _screened_with_two_cautions(team)
    first, second, *_ = _open_codes(screening)
    client = signed_in(team.prescriber)
    client.post(
        url(team, "cautions_accept", screening_id=screening.pk),
        {
            f"justification:{first}": "Reviewed with the patient today.",
            f"justification:{second}": "",
        },
    )
    assert list(CautionAcceptance.objects.values_list("code", flat=True)) == [first]


def test_one_refusal_accepts_none_and_names_its_caution(team: Team) -> None:
    screening = _screened_with_two_cautions(team)
    first, second, *_ = _open_codes(screening)
    client = signed_in(team.prescriber)
    page = client.post(
        url(team, "cautions_accept", screening_id=screening.pk),
        {
            f"justification:{first}": "Reviewed with the patient today.",
            f"justification:{second}": "ok",
        },
        follow=True,
    ).content.decode()
    assert not CautionAcceptance.objects.exists()
    text = next(r["text"] for r in screening.reasons if r["code"] == second)
    assert "Justification for “" in page
    assert re.search(r"Justification for “[^”]*" + re.escape(text[:20]), page)
    assert "at least 10 characters" in page


def test_the_service_names_each_cautions_field(team: Team) -> None:
    screening = _screened_with_two_cautions(team)
    first, second, *_ = _open_codes(screening)
    with pytest.raises(ValidationFailed) as refused:
        services.cautions_accept(
            access=team.prescriber,
            patient_id=team.patient.pk,
            screening_id=screening.pk,
            justifications={first: "short", second: "also", "no_such": "Reviewed at length."},
        )
    assert set(refused.value.errors) == {
        f"cautions.{first}.justification",
        f"cautions.{second}.justification",
        "cautions.no_such.code",
    }
    assert not CautionAcceptance.objects.exists()


def test_nurses_see_no_acceptance_form(team: Team) -> None:
    _screened_with_two_cautions(team)
    page = _tab(signed_in(team.nurse), team)
    assert "accept-cautions" not in page
