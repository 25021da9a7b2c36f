"""Whatever a form or the API sends as outcome settings, validation either gives
overrides the rules accept or refuses naming only keys that were sent; never a crash."""

from __future__ import annotations

from hypothesis import example, given
from hypothesis import strategies as st

from ketacare.common.errors import ValidationFailed
from ketacare.outcomes.config import build_config, setting_rows, validated_overrides
from ketacare.outcomes.options import option_problems
from ketacare.outcomes.rules import maintenance_problems, rule_problems

KEYS = [row.key for row in setting_rows(build_config({}))] + ["not_a_setting"]
VALUES = st.one_of(
    st.none(),
    st.integers(-500, 500),
    st.floats(-50, 500, allow_nan=False),
    st.sampled_from(["", "12", "4.5", "abc", "madrs", "phq9", "madrs_threshold", True]),
)


@given(st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=6))
@example({"relapse_visit_min_days": 16})  # over the default maximum (15): found by CI
def test_validation_accepts_only_valid_settings(values: dict[str, object]) -> None:
    try:
        overrides = validated_overrides({}, values)
    except ValidationFailed as exc:
        problems = set(exc.errors)
        # A pair of settings checked together names the other one too.
        assert problems and problems <= set(values) | {
            "relapse_back_to_baseline_percent",
            "relapse_visit_min_days",
            "relapse_visit_max_days",
        }
        return
    config = build_config(overrides)
    assert not rule_problems(config.rules)
    assert not maintenance_problems(config.maintenance)
    assert not option_problems(config.options)
    assert set(overrides) <= set(values)


def test_defaults_are_stored_as_no_override() -> None:
    assert validated_overrides({}, {"lead_days": "3", "remission_at_or_below.madrs": 12}) == {}
    assert validated_overrides({"lead_days": 2}, {"lead_days": 3}) == {}
