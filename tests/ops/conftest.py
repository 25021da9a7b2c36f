"""The care team and patient of the measurement tests, reused for delivery and metrics."""

from tests.measures.conftest import other_team, patient, sms_file, sms_sent, team  # noqa: F401
