"""The two points where sessions meet capabilities built elsewhere: dose orders
(ketacare.dosing) and eligibility screening (ketacare.eligibility). Everything in the
sessions app asks through here.

The dose comes from a prescriber's order. A session order (`session_order_set`, a
one-session order for a dose that differs from the standing order) is the more specific
prescription and wins; otherwise the patient's active standing order for the session's
protocol (`DoseOrder`) applies. The page shows both, so an override is never silent.

Screening must allow the protocol: the latest result for it is not "not eligible" and
has no caution a prescriber has not accepted. It is re-run as the pre-dose assessment
opens (`rescreen_before_session`).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ketacare.accounts.access import ClinicAccess
from ketacare.dosing.models import DoseOrder
from ketacare.eligibility import selectors as eligibility
from ketacare.eligibility import services as eligibility_services
from ketacare.treatment.models import TreatmentSession


@dataclass(frozen=True)
class ActiveOrder:
    dose_mg: Decimal | None
    reason: str  # where the dose comes from, or why there is none
    standing: DoseOrder | None  # the patient's active order for the protocol, if any
    checked: bool = False  # the order in force is double-checked by a second clinician


def _who(user: Any) -> str:
    return user.get_username() if user else "a prescriber"


def _standing_order(session: TreatmentSession) -> DoseOrder | None:
    return (
        DoseOrder.objects.filter(
            clinic_id=session.clinic_id,
            patient_id=session.patient_id,
            protocol_code=session.protocol_code,
            status=DoseOrder.Status.ACTIVE,
        )
        .select_related("ordered_by", "checked_by")
        .first()
    )


def _standing_words(order: DoseOrder) -> str:
    check = (
        f", double-checked by {_who(order.checked_by)}"
        if order.checked_at
        else ", not yet double-checked"
    )
    return f"{_plain(order.dose_mg)} mg ordered by {_who(order.ordered_by)}{check}"


def _plain(dose: Decimal) -> Decimal:
    """The dose without trailing zeros (84.000 → 84, 32.200 → 32.2), as the page shows it."""
    return dose.quantize(Decimal(1)) if dose == dose.to_integral_value() else dose.normalize()


def active_order(session: TreatmentSession) -> ActiveOrder:
    """The dose the prescriber's order gives for this session, and where it came from."""
    standing = _standing_order(session) if session.protocol_code else None
    if session.ordered_dose_mg is not None:
        reason = f"session order by {_who(session.ordered_by)}"
        if standing is not None and standing.dose_mg != session.ordered_dose_mg:
            reason += f", overriding the standing order of {_plain(standing.dose_mg)} mg"
        checked = session.order_checked_at is not None
        reason += (
            f", double-checked by {_who(session.order_checked_by)}"
            if checked
            else ", not yet double-checked"
        )
        return ActiveOrder(_plain(session.ordered_dose_mg), reason, standing, checked)
    if standing is not None:
        return ActiveOrder(
            _plain(standing.dose_mg),
            f"standing order: {_standing_words(standing)}",
            standing,
            standing.checked_at is not None,
        )
    return ActiveOrder(None, "no dose has been ordered for this protocol", None)


def active_order_dose(session: TreatmentSession) -> tuple[Decimal | None, str]:
    found = active_order(session)
    return found.dose_mg, found.reason


def screening_of(session: TreatmentSession) -> eligibility.SessionScreening:
    return eligibility.session_screening(
        clinic=session.clinic, patient_id=session.patient_id, protocol_code=session.protocol_code
    )


def screening_verdict(
    screening: eligibility.SessionScreening, protocol_code: str
) -> tuple[bool, str]:
    """Whether the screening lets the dose go ahead, and if not, why."""
    if not protocol_code:
        return False, "no protocol is set for this session: a prescriber orders one"
    if screening.latest is None:
        return False, "the patient has not been screened for this protocol"
    if screening.blocking:
        found = "; ".join(r["text"] for r in screening.blocking)
        return False, f"the latest eligibility screening found the patient not eligible: {found}"
    if screening.open_cautions:
        found = "; ".join(r["text"] for r in screening.open_cautions)
        return False, f"a prescriber has not accepted the screening's cautions: {found}"
    return True, "the latest eligibility screening allows this protocol"


def screening_allows(session: TreatmentSession) -> tuple[bool, str]:
    return screening_verdict(screening_of(session), session.protocol_code)


def rescreen_before_session(access: ClinicAccess, session: TreatmentSession) -> None:
    if session.protocol_code:
        eligibility_services.rescreen_before_session(
            access=access, patient_id=session.patient_id, protocol_code=session.protocol_code
        )
