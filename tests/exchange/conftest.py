from __future__ import annotations

from collections.abc import Callable

import pytest

from ketacare.accounts.access import ClinicAccess
from ketacare.accounts.models import Clinic
from tests.exchange.world import Charted, chart


@pytest.fixture
def charted(make_access: Callable[..., ClinicAccess], clinic: Clinic) -> Charted:
    return chart(make_access, clinic)


@pytest.fixture
def charted_other(make_access: Callable[..., ClinicAccess], other_clinic: Clinic) -> Charted:
    return chart(make_access, other_clinic)
