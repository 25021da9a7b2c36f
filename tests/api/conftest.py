from __future__ import annotations

from tests.world_fixtures import clinic, module_world, other_clinic, world

__all__ = ["clinic", "module_world", "other_clinic", "world"]
