"""Reads of protocols, orders and plans."""

from __future__ import annotations

from ketacare.accounts.models import Clinic
from ketacare.common.errors import NotFound
from ketacare.dosing.protocols import SHIPPED, ProtocolDefinition


def protocol_definition(*, clinic: Clinic, code: str) -> ProtocolDefinition:
    """The clinic's current version of protocol `code`; NotFound when it has none."""
    try:
        return SHIPPED[code]
    except KeyError:
        raise NotFound(f"protocol {code!r}") from None
