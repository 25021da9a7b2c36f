"""A clinic's outcome settings in force: the stored overrides applied to the cited
defaults of the pure core, validated by its `rule_problems` / `maintenance_problems`."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from ketacare.accounts.models import Clinic
from ketacare.common.errors import ValidationFailed
from ketacare.outcomes.models import ClinicOutcomeSettings
from ketacare.outcomes.options import OPTION_SOURCES, ClinicOptions, option_problems
from ketacare.outcomes.rules import (
    ALTERNATIVES,
    MAINTENANCE_SOURCES,
    RULE_SOURCES,
    MaintenanceRules,
    OutcomeRules,
    RelapseRule,
    maintenance_problems,
    rule_problems,
    setting_keys,
)

Settings = OutcomeRules | MaintenanceRules | ClinicOptions
GROUPS: tuple[tuple[str, type[Settings], Mapping[str, str]], ...] = (
    ("Course outcomes", OutcomeRules, RULE_SOURCES),
    ("Maintenance planning", MaintenanceRules, MAINTENANCE_SOURCES),
    ("Worklist and dashboard", ClinicOptions, OPTION_SOURCES),
)


@dataclass(frozen=True)
class OutcomeConfig:
    rules: OutcomeRules
    maintenance: MaintenanceRules
    options: ClinicOptions


@dataclass(frozen=True)
class SettingRow:
    group: str
    key: str
    value: Any
    default: Any
    source: str
    alternatives: tuple[Any, ...]
    optional: bool  # may be left empty
    choices: tuple[str, ...] = ()


def settings_row(clinic: Clinic) -> ClinicOutcomeSettings:
    row, _ = ClinicOutcomeSettings.objects.get_or_create(clinic=clinic)
    return row


def config_for(clinic: Clinic) -> OutcomeConfig:
    return build_config(settings_row(clinic).overrides)


def _field_kinds(cls: type[Settings]) -> dict[str, str]:
    return {f.name: str(f.type) for f in dataclasses.fields(cls)}


def _key_kind(cls: type[Settings], key: str) -> str:
    name = key.split(".", 1)[0]
    kind = _field_kinds(cls)[name]
    return "int" if "." in key else kind


def _coerce(kind: str, raw: object) -> object:
    """The stored value of one setting, from a form or API value; ValueError if invalid."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if "None" in kind:
            return None
        raise ValueError("is required")
    if isinstance(raw, bool):
        raise ValueError("must be a number")
    text = raw.strip() if isinstance(raw, str) else raw
    if kind.startswith("int"):
        number = float(text)  # type: ignore[arg-type]
        if not number.is_integer():
            raise ValueError("must be a whole number")
        return int(number)
    if kind.startswith("float"):
        return float(text)  # type: ignore[arg-type]
    if kind == "RelapseRule":
        return RelapseRule(str(text)).value
    return str(text)


def _group_of(key: str) -> type[Settings] | None:
    for _label, cls, _sources in GROUPS:
        if key in setting_keys(cast(Any, cls())):
            return cls
    return None


def _instance(cls: type[Settings], overrides: Mapping[str, object]) -> Settings:
    default = cls()
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        current = getattr(default, f.name)
        if isinstance(current, Mapping):
            prefix = f"{f.name}."
            values[f.name] = dict(current) | {
                k.removeprefix(prefix): v for k, v in overrides.items() if k.startswith(prefix)
            }
        elif f.name in overrides:
            value = overrides[f.name]
            values[f.name] = RelapseRule(str(value)) if f.type == "RelapseRule" else value
    return cls(**values)


def build_config(overrides: Mapping[str, object]) -> OutcomeConfig:
    rules = _instance(OutcomeRules, overrides)
    maintenance = _instance(MaintenanceRules, overrides)
    options = _instance(ClinicOptions, overrides)
    assert isinstance(rules, OutcomeRules) and isinstance(maintenance, MaintenanceRules)
    assert isinstance(options, ClinicOptions)
    return OutcomeConfig(rules, maintenance, options)


def current_value(config: OutcomeConfig, key: str) -> object:
    name, _, code = key.partition(".")
    for part in (config.rules, config.maintenance, config.options):
        if hasattr(part, name):
            value = getattr(part, name)
            return value[code] if code else value
    raise KeyError(key)


def validated_overrides(
    stored: Mapping[str, object], values: Mapping[str, object]
) -> dict[str, object]:
    """The overrides to store after applying `values` (any subset of the setting keys)
    to the stored ones: only those that differ from the default. Raises ValidationFailed
    naming each unknown or invalid key; nothing is applied then."""
    errors: dict[str, list[str]] = {}
    merged = dict(stored)
    for key, raw in values.items():
        cls = _group_of(key)
        if cls is None:
            errors[key] = ["is not a setting"]
            continue
        try:
            merged[key] = _coerce(_key_kind(cls, key), raw)
        except ValueError as exc:
            message = str(exc) if str(exc) in ("is required", "must be a whole number") else ""
            errors[key] = [message or "is not a valid value"]
    if errors:
        raise ValidationFailed(errors)
    config = build_config(merged)
    problems = (
        rule_problems(config.rules)
        | maintenance_problems(config.maintenance)
        | option_problems(config.options)
    )
    if problems:
        raise ValidationFailed({key: [message] for key, message in problems.items()})
    defaults = build_config({})
    return {
        key: value
        for key, value in merged.items()
        if _group_of(key) and value != _plain(current_value(defaults, key))
    }


def _plain(value: object) -> object:
    return value.value if isinstance(value, RelapseRule) else value


def setting_rows(config: OutcomeConfig) -> list[SettingRow]:
    """Every setting with the value in force, its default and source, for the page."""
    defaults = build_config({})
    rows = []
    for label, cls, sources in GROUPS:
        for key in setting_keys(cast(Any, cls())):
            kind = _key_kind(cls, key)
            rows.append(
                SettingRow(
                    group=label,
                    key=key,
                    value=_plain(current_value(config, key)),
                    default=_plain(current_value(defaults, key)),
                    source=sources.get(key, ""),
                    alternatives=tuple(_plain(a) for a in ALTERNATIVES.get(key, ())),
                    optional="None" in kind,
                    choices=tuple(r.value for r in RelapseRule) if kind == "RelapseRule" else (),
                )
            )
    return rows
