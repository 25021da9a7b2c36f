from tests.outcomes.conftest import patient, team

__all__ = ["patient", "team"]
