"""Finding 6 through the service and the page: the end of an infusion records what the
pump gave; a difference from the order needs a reason; nothing is prefilled."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from ketacare.accounts.access import ClinicAccess
from ketacare.common.errors import ValidationFailed
from ketacare.patients.models import Patient
from ketacare.treatment import charting, services
from ketacare.treatment.models import Administration, TreatmentSession
from tests.sessions.build import at, ids, start_iv, to_pre_dose

pytestmark = pytest.mark.django_db


def _infusing(nurse: ClinicAccess, prescriber: ClinicAccess, patient: Patient) -> TreatmentSession:
    session = to_pre_dose(nurse, prescriber, patient)
    services.supervisor_attest(access=prescriber, **ids(session))
    start_iv(nurse, session)  # 35 mg in 100 mL at 150 mL/h: 40 min
    return session


def test_an_infusion_stopped_after_2_min_records_the_partial_dose_with_a_reason(
    nurse: ClinicAccess, prescriber: ClinicAccess, patient: Patient
) -> None:
    session = _infusing(nurse, prescriber, patient)
    at(2)
    with pytest.raises(ValidationFailed) as exc:
        charting.administration_stop(access=nurse, **ids(session), dose_given_mg=Decimal("35"))
    assert exc.value.errors["dose_given_mg"][0].startswith(
        "Dose given: the pump record gives 1.7 mg (the pump ran 2 min: 5.0 mL = 1.7 mg)"
    )
    with pytest.raises(ValidationFailed) as exc:
        charting.administration_stop(access=nurse, **ids(session))
    assert exc.value.errors["reason"] == [
        "Reason: 1.7 mg given of 35 mg ordered (5%); give the reason."
    ]
    charting.administration_stop(access=nurse, **ids(session), reason="Severe anxiety; stopped")
    given = Administration.objects.get(session=session)
    assert given.dose_given_mg == Decimal("1.7")


def test_pauses_are_subtracted_from_the_dose_given(
    nurse: ClinicAccess, prescriber: ClinicAccess, patient: Patient
) -> None:
    session = _infusing(nurse, prescriber, patient)
    at(10)
    charting.infusion_change(access=nurse, **ids(session), kind="pause", reason="BP 178/104")
    at(20)
    charting.infusion_change(access=nurse, **ids(session), kind="resume", reason="BP 150/90")
    at(40)
    charting.administration_stop(access=nurse, **ids(session), reason="Paused 10 min")
    assert Administration.objects.get(session=session).dose_given_mg == Decimal("26.2")


def test_the_page_does_not_prefill_the_dose_given_and_shows_the_pump_record(
    nurse: ClinicAccess,
    prescriber: ClinicAccess,
    patient: Patient,
    api_client: Callable[[ClinicAccess], Client],
) -> None:
    session = _infusing(nurse, prescriber, patient)
    at(20)
    kwargs = {"clinic_slug": session.clinic.slug, **ids(session)}
    page = api_client(nurse).get(reverse("session_page", kwargs=kwargs)).content.decode()
    assert 'name="dose_given_mg"' not in page  # computed from the pump record
    assert "Dose given by the pump record so far: <strong>17.5 mg</strong> of 35.0 mg" in page
    at(30)
    client = api_client(nurse)
    client.post(reverse("session_act", kwargs={**kwargs, "action": "stop"}),
                {"reason": "Dissociation, patient asked to stop"})  # fmt: skip
    page = client.get(reverse("session_page", kwargs=kwargs)).content.decode()
    assert "Dose given: <strong>26.2 mg</strong> of 35.0 mg ordered" in page
    assert "26.2 mg given of 35 mg ordered (75%)" in page


def test_an_im_dose_is_what_the_nurse_records_never_prefilled(
    nurse: ClinicAccess, prescriber: ClinicAccess, patient: Patient
) -> None:
    session = to_pre_dose(nurse, prescriber, patient, protocol="im_ketamine", dose="35")
    services.supervisor_attest(access=prescriber, **ids(session))
    charting.administration_start(
        access=nurse, **ids(session), dose_mg=Decimal("35"), formulation="Ketamine 50 mg/mL",
        lot_number="LOT-IM-1", expiry=at(0).date().replace(year=2030), injection_site="Deltoid L",
    )  # fmt: skip
    at(3)
    with pytest.raises(ValidationFailed) as exc:
        charting.administration_stop(access=nurse, **ids(session))
    assert exc.value.errors == {"dose_given_mg": ["Dose given: enter the dose given."]}
    with pytest.raises(ValidationFailed, match="30 mg given of 35 mg ordered"):
        charting.administration_stop(access=nurse, **ids(session), dose_given_mg=Decimal("30"))
    session.refresh_from_db()
    assert "pause_infusion" not in charting.acknowledgement_actions(session)
    charting.administration_stop(access=nurse, **ids(session), dose_given_mg=Decimal("35"))
    assert Administration.objects.get(session=session).dose_given_mg == Decimal("35")
