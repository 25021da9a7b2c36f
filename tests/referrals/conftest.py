from tests.measures.conftest import other_team
from tests.outcomes.conftest import patient, team

__all__ = ["other_team", "patient", "team"]
