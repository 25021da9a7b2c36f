"""Who a new registration may already be (pure: no Django).

A person registered twice gets two charts, and an allergy or a dose on one is missing from
the other. Registration therefore looks for records that may be the same person and shows
them first. A candidate has the same date of birth and one of:

- the same family and given names, compared without case, accents, spaces or punctuation
  ("José  María" is "jose maria", "O'Brien" is "OBRIEN");
- the same names swapped (given name entered as family name and the reverse);
- the same phone number (its last ten digits, at least six of them).

A different date of birth is never a candidate: the rule stays narrow so that the question
is asked only when it is worth asking (a typo in the date is the search's job).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)

# Fewer digits than this are no phone number; a country code in front of the national
# number still matches one stored without it.
MIN_PHONE_DIGITS = 6
NATIONAL_DIGITS = 10

SAME_NAME = "same_name"
SWAPPED_NAMES = "swapped_names"
SAME_PHONE = "same_phone"
REASON_LABELS = {
    SAME_NAME: "same name and date of birth",
    SWAPPED_NAMES: "same names swapped (first and last) and date of birth",
    SAME_PHONE: "same phone number and date of birth",
}


def name_key(text: str) -> str:
    """The name as compared: letters and digits only, accents removed, case folded."""
    # Decomposed first: a compatibility letter such as U+2102 (double-struck C) has no
    # case of its own and becomes 'C' only when decomposed, so folding before that left
    # keys that changed when compared again. Then upper case: the Turkish dotless i
    # upper-cases to 'I', whose case fold is 'i'.
    folded = unicodedata.normalize("NFKD", text).upper().casefold()
    decomposed = unicodedata.normalize("NFKD", folded)
    return "".join(c for c in decomposed if c.isalnum() and not unicodedata.combining(c))


def phone_key(text: str) -> str:
    """The phone's last ten digits, or '' when there are too few to mean anything."""
    digits = "".join(c for c in text if c.isdigit())
    return digits[-NATIONAL_DIGITS:] if len(digits) >= MIN_PHONE_DIGITS else ""


@dataclass(frozen=True)
class Identity:
    given_name: str
    family_name: str
    date_of_birth: dt.date
    phone: str = ""


@dataclass(frozen=True)
class Candidate(Generic[K]):
    key: K
    reasons: tuple[str, ...]

    @property
    def reason_text(self) -> str:
        return "; ".join(REASON_LABELS[r] for r in self.reasons)


def duplicate_reasons(new: Identity, existing: Identity) -> tuple[str, ...]:
    """Why `existing` may be the person being registered as `new` (empty: no reason)."""
    if new.date_of_birth != existing.date_of_birth:
        return ()
    given, family = name_key(new.given_name), name_key(new.family_name)
    other_given, other_family = name_key(existing.given_name), name_key(existing.family_name)
    reasons: list[str] = []
    if given and family and (given, family) == (other_given, other_family):
        reasons.append(SAME_NAME)
    elif given and family and (given, family) == (other_family, other_given):
        reasons.append(SWAPPED_NAMES)
    phone = phone_key(new.phone)
    if phone and phone == phone_key(existing.phone):
        reasons.append(SAME_PHONE)
    return tuple(reasons)


def duplicate_candidates(
    new: Identity, existing: Iterable[tuple[K, Identity]]
) -> list[Candidate[K]]:
    """The existing records that may be `new`, each with its reasons, in the given order."""
    found: list[Candidate[K]] = []
    for key, identity in existing:
        reasons = duplicate_reasons(new, identity)
        if reasons:
            found.append(Candidate(key, reasons))
    return found
