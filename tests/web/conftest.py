from __future__ import annotations

import pytest

from ketacare.accounts.models import Clinic
from tests.api.world import World, build_world


@pytest.fixture
def world(clinic: Clinic, other_clinic: Clinic) -> World:
    """Clinic A ("clinic-a") and clinic B ("clinic-b"), each with a full chart."""
    return build_world(clinic, other_clinic)
