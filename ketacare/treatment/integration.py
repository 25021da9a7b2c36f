"""The two points where sessions meet capabilities built elsewhere: dose orders and
eligibility screening. Everything in the sessions app asks through here.

For now they read what the session itself records: the prescriber's ordered dose
(`session_order_set`) and "allowed" for screening. INTEGRATOR: rewire these two functions
to the active dose order (ketacare.dosing) and the latest screening result
(ketacare.eligibility) when those land; nothing else in the sessions app needs to change.
"""

from __future__ import annotations

from decimal import Decimal

from ketacare.treatment.models import TreatmentSession


def active_order_dose(session: TreatmentSession) -> tuple[Decimal | None, str]:
    """The dose (mg) the active order prescribes for this session, and where it came from."""
    if session.ordered_dose_mg is None:
        return None, "no dose has been ordered for this session"
    who = session.ordered_by.get_username() if session.ordered_by else "a prescriber"
    return session.ordered_dose_mg, f"ordered on the session by {who}"


def screening_allows(session: TreatmentSession) -> tuple[bool, str]:
    """Whether the latest eligibility screening lets this session's protocol go ahead."""
    return True, "eligibility screening is not yet connected to sessions"
