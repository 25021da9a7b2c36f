"""The patient banner: who is in the chair, at a glance, on the session page and the chart
header. One selector, a fixed number of queries however long the record is."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ketacare.consent.core import Verdict
from ketacare.consent.selectors import treatment_consent_verdict
from ketacare.dosing.models import TreatmentPlan
from ketacare.measures.selectors import open_alerts_of
from ketacare.patients import rules as patient_rules
from ketacare.patients.models import Allergy, BodyMeasurement, Consent, Patient
from ketacare.patients.selectors import ChartSummary, chart_summary
from ketacare.treatment import rules


@dataclass(frozen=True)
class PatientBanner:
    patient: Patient
    summary: ChartSummary
    today: dt.date
    age: int
    protocol_code: str
    protocol_name: str
    consent: Verdict  # the e-consent rule the dosing check reads (paper and electronic)
    consent_form: str  # the form of treatment the verdict is for, in words
    open_safety_alerts: int

    @property
    def allergies(self) -> list[Allergy]:
        return self.summary.active_allergies

    @property
    def weight(self) -> BodyMeasurement | None:
        return self.summary.latest_measurement

    @property
    def weight_text(self) -> str:
        """ "72 kg, weighed 12 days ago", or "" when the patient was never weighed."""
        if self.weight is None:
            return ""
        kg = self.weight.weight_kg.normalize()
        when = patient_rules.days_ago_words(self.weight.measured_on, self.today)
        return f"{kg:f} kg, weighed {when}"

    @property
    def weight_days(self) -> int | None:
        return None if self.weight is None else (self.today - self.weight.measured_on).days

    @property
    def paper_consent(self) -> Consent | None:
        """The latest treatment consent staff recorded from paper (any form)."""
        return self.summary.current_consents.get(Consent.Kind.TREATMENT)


def patient_banner(
    *, patient: Patient, today: dt.date, protocol_code: str | None = None
) -> PatientBanner:
    """The banner of `patient` (already read through the clinic-scoped selector and its
    view audited by the caller). `protocol_code` is the session's protocol; without it,
    the active treatment plan's. The consent verdict is the one the dosing check reads:
    the rule of ketacare.consent over paper and e-consents covering the protocol's route."""
    if protocol_code is None:
        protocol_code = (
            TreatmentPlan.objects.filter(patient=patient, status=TreatmentPlan.Status.ACTIVE)
            .values_list("protocol_code", flat=True)
            .first()
            or ""
        )
    protocol = rules.protocol_of(protocol_code)
    form = protocol.route.value if protocol else ""
    if form not in Consent.TreatmentForm.values:
        form = ""
    return PatientBanner(
        patient=patient,
        summary=chart_summary(patient=patient),
        today=today,
        age=patient_rules.age_on(patient.date_of_birth, today),
        protocol_code=protocol_code,
        protocol_name=protocol.name if protocol else "",
        consent=treatment_consent_verdict(patient=patient, form=form, today=today),
        consent_form=Consent.TreatmentForm(form).label,
        open_safety_alerts=open_alerts_of(patient=patient).count(),
    )
