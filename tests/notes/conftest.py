from tests.dosing.conftest import team

__all__ = ["team"]
