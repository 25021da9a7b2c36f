"""Issue 12's property: no sequence of actions through the services (as the web views
and the API call them) makes a session record a dose above its protocol's cap or the
clinic's ceiling, or a given dose without a supervising prescriber, a screening that
allows the protocol and a current treatment consent. Hypothesis drives random actions,
by random roles, in random order; refusals are part of the game."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.models import Clinic
from ketacare.accounts.policy import Role
from ketacare.common.errors import PermissionDenied, ValidationFailed
from ketacare.dosing import selectors as dosing_selectors
from ketacare.dosing import services as dosing
from ketacare.dosing.protocols import SHIPPED
from ketacare.patients import services as patients
from ketacare.patients.models import Consent, Patient
from ketacare.treatment import charting, integration, services
from ketacare.treatment.models import Administration, TreatmentSession
from tests.clinical import clear_for_protocol
from tests.factories import ClinicFactory, PatientFactory
from tests.sessions.build import BASELINE, T0, at, ids, weigh

pytestmark = pytest.mark.django_db

PROTOCOLS = ("esketamine_trd", "iv_ketamine")
DOSES = {
    "esketamine_trd": ("28", "56", "84", "112", "140"),
    "iv_ketamine": ("20", "35", "52.5", "60", "80", "300"),
}
ROLES = (Role.PRESCRIBER, Role.NURSE, Role.FRONT_DESK)
GIVEN: list[str] = []  # protocols of the sessions that reached a given state


def refused(action: Callable[[], object]) -> None:
    with contextlib.suppress(ValidationFailed, PermissionDenied):
        action()


def build_machine(make_access: Callable[..., ClinicAccess]) -> type[RuleBasedStateMachine]:
    class Clinic(RuleBasedStateMachine):
        """One patient, one session of a random protocol; staff act in any order."""

        def __init__(self) -> None:
            super().__init__()
            at(0)
            self.clinic = ClinicFactory.create()
            self.staff = {role: make_access(role, self.clinic) for role in ROLES}
            self.staff_2 = make_access(Role.PRESCRIBER, self.clinic)  # the second clinician
            nurse = self.staff[Role.NURSE]
            self.patient: Patient = PatientFactory.create(
                clinic=self.clinic, created_by=nurse.user, sex_at_birth="male"
            )
            self.was_given = False

        @initialize(protocol=st.sampled_from(PROTOCOLS))
        def book(self, protocol: str) -> None:
            self.protocol = protocol
            self.session = services.session_schedule(
                access=self.who(Role.NURSE), patient_id=self.patient.pk, scheduled_start=T0
            )

        def who(self, role: Role) -> ClinicAccess:
            return self.staff[role]

        @rule(role=st.sampled_from(ROLES), dose=st.integers(0, 5), reason=st.booleans())
        def order(self, role: Role, dose: int, reason: bool) -> None:
            choices = DOSES[self.protocol]
            refused(
                lambda: services.session_order_set(
                    access=self.who(role),
                    **ids(self.session),
                    protocol_code=self.protocol,
                    ordered_dose_mg=Decimal(choices[dose % len(choices)]),
                    first_dose_reason="Tolerated it before" if reason else "",
                )
            )

        @rule(role=st.sampled_from(ROLES), other=st.booleans())
        def double_check(self, role: Role, other: bool) -> None:
            checker = self.staff_2 if other else self.who(role)
            refused(
                lambda: services.session_order_double_check(access=checker, **ids(self.session))
            )

        @rule(dose=st.sampled_from(("0.5", "0.75", "1.0", "56", "84", "112")))
        def standing_order(self, dose: str) -> None:
            def make() -> None:
                order = dosing.order_create(
                    access=self.who(Role.PRESCRIBER),
                    patient_id=self.patient.pk,
                    given=dosing.DoseInput(
                        self.protocol, Decimal(dose), concentration_mg_per_ml=Decimal("10")
                    ),
                )
                dosing.order_double_check(
                    access=self.staff_2, patient_id=self.patient.pk, order_id=order.pk
                )

            refused(make)

        @rule(granted=st.booleans())
        def consent(self, granted: bool) -> None:
            patients.record_add(
                access=self.who(Role.NURSE),
                patient_id=self.patient.pk,
                model=Consent,
                data={
                    "kind": "treatment",
                    "decision": "granted" if granted else "withdrawn",
                    "document_version": "v1",
                    "decided_on": T0.date(),
                },
            )

        @rule()
        def screen(self) -> None:
            refused(
                lambda: clear_for_protocol(
                    self.who(Role.PRESCRIBER), self.patient.pk, self.protocol
                )
            )
            at(0)

        @rule()
        def weigh(self) -> None:
            weigh(self.who(Role.NURSE), self.patient)

        @rule(ceiling=st.sampled_from(("30", "56", "75", "84")))
        def ceiling(self, ceiling: str) -> None:
            dosing.dosing_settings_update(
                access=self.who(Role.PRESCRIBER), data={"mg_ceilings": {self.protocol: ceiling}}
            )

        @rule(role=st.sampled_from(ROLES))
        def check_in_and_assess(self, role: Role) -> None:
            refused(
                lambda: services.session_transition(
                    access=self.who(role), **ids(self.session), event="check_in"
                )
            )
            refused(
                lambda: services.assessment_save(
                    access=self.who(Role.NURSE),
                    **ids(self.session),
                    version=1,
                    data={"fasting_confirmed": True, "no_decongestant_confirmed": True},
                    baseline=BASELINE,
                )
            )

        @rule(role=st.sampled_from(ROLES))
        def supervise(self, role: Role) -> None:
            refused(lambda: services.supervisor_attest(access=self.who(role), **ids(self.session)))
            refused(
                lambda: services.rems_enroll(
                    access=self.who(role), patient_id=self.patient.pk, enrolled_on=T0.date()
                )
            )

        @rule(
            role=st.sampled_from(ROLES),
            dose=st.sampled_from(("28", "35", "56", "84", "112", "300")),
        )
        def start(self, role: Role, dose: str) -> None:
            refused(
                lambda: charting.administration_start(
                    access=self.who(role),
                    **ids(self.session),
                    dose_mg=Decimal(dose),
                    formulation="Ketamine or Spravato",
                    concentration_mg_per_ml=Decimal("1")
                    if self.protocol == "iv_ketamine"
                    else None,
                    pump_rate_ml_per_h=Decimal("50") if self.protocol == "iv_ketamine" else None,
                    lot_number="LOT-1",
                    expiry=T0.date().replace(year=2030),
                    container_ref="C-1",
                )
            )

        @rule(role=st.sampled_from(ROLES), on_paper=st.booleans())
        def give_the_ordered_dose(self, role: Role, on_paper: bool) -> None:
            """The dose the order in force shows, charted live or recorded from paper."""
            dose = integration.active_order(
                TreatmentSession.objects.get(pk=self.session.pk)
            ).dose_mg
            if on_paper or dose is None:
                self.record_given(role)
            else:
                self.start(role, str(dose))

        @rule(role=st.sampled_from(ROLES))
        def record_given(self, role: Role) -> None:
            refused(
                lambda: services.session_record_given(
                    access=self.who(role), **ids(self.session), dosing_started_at=T0
                )
            )

        @rule(dose=st.integers(0, 5))
        def prepare_as_a_clinic_would(self, dose: int) -> None:
            """Every step in order (other rules may then undo or spoil one)."""
            self.consent(True)
            self.screen()
            self.weigh()
            self.order(Role.PRESCRIBER, dose, True)
            self.double_check(Role.PRESCRIBER, True)
            self.check_in_and_assess(Role.NURSE)
            self.supervise(Role.PRESCRIBER)

        @invariant()
        def a_given_dose_passed_every_rule(self) -> None:
            if not hasattr(self, "session"):
                return
            session = TreatmentSession.objects.select_related("patient").get(pk=self.session.pk)
            if session.status not in TreatmentSession.GIVEN_STATUSES or self.was_given:
                return
            self.was_given = True  # checked at the moment it became given
            GIVEN.append(self.protocol)
            given = Administration.objects.filter(session=session).first()
            dose = given.dose_ordered_mg if given else integration.active_order(session).dose_mg
            assert dose is not None
            protocol = SHIPPED[self.protocol]
            policy = dosing_selectors.dosing_policy(self.clinic)
            assert dose <= policy.ceiling_mg(protocol)
            if protocol.weight_based:
                weight = dosing_selectors.latest_weight(patient=session.patient)
                assert weight is not None and dose <= protocol.hard_max * weight.weight_kg
            else:
                assert dose <= protocol.hard_max
            assert session.supervising_prescriber_id is not None
            assert integration.screening_allows(session)[0]
            consent = (
                Consent.objects.filter(patient=session.patient, kind="treatment")
                .order_by("-decided_on", "-created_at")
                .first()
            )
            assert consent is not None and consent.decision == "granted"

    return Clinic


def test_no_sequence_of_actions_gives_a_dose_outside_the_rules(
    clinic: Clinic, make_access: Callable[..., ClinicAccess]
) -> None:
    machine = build_machine(make_access)
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=40,
            stateful_step_count=20,
            deadline=None,
            derandomize=True,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
    assert set(GIVEN) == set(PROTOCOLS), GIVEN  # the property was put to the test
