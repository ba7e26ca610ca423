"""The rules document: validation (JSON Schema plus semantic checks) and the compiled, immutable ``Rules``."""

from __future__ import annotations

import copy
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from types import MappingProxyType
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kanal.errors import InvalidRules
from kanal.priority.catalogue import RULE_TYPES
from kanal.priority.channel import ChannelRule
from kanal.priority.facts import BANDS, Rule
from kanal.priority.sentiment import SentimentConfig
from kanal.priority.sla import (
    ALWAYS_OPEN,
    WEEKDAYS,
    AlwaysOpen,
    Calendar,
    build_calendar,
    parse_clock,
    parse_holiday,
)
from kanal.priority.text import TermMatcher

if TYPE_CHECKING:  # jsonschema is imported when a document is first validated, not at cold start
    from jsonschema import Draft202012Validator

SCHEMA_FILE = "rules.schema.json"
DEFAULT_RULES_FILE = "default_rules.json"


@dataclass(frozen=True)
class Bands:
    """Lowest score of P1, P2 and P3; below P3 is P4."""

    p1: int
    p2: int
    p3: int

    def band(self, score: int) -> str:
        if score >= self.p1:
            return "P1"
        if score >= self.p2:
            return "P2"
        return "P3" if score >= self.p3 else "P4"

    def floor(self, band: str) -> int:
        """The lowest score of a band."""
        return {"P1": self.p1, "P2": self.p2, "P3": self.p3}.get(band, 0)


@dataclass(frozen=True, eq=False)
class Rules:
    """One company's validated rules, compiled once (term index, regexes, calendars). Immutable."""

    version: str
    bands: Bands
    rules: tuple[Rule, ...]
    channel: ChannelRule
    matcher: TermMatcher
    sentiment: SentimentConfig
    calendars: Mapping[str, Calendar]
    default_calendar: str
    _source: str  # the document as JSON text, so nobody can change it in place

    @property
    def document(self) -> dict[str, Any]:
        """The rules document as it was loaded (a fresh copy each time)."""
        return dict(json.loads(self._source))

    def calendar(self, name: str | None = None) -> Calendar:
        """A named calendar, or the document's default; KeyError for an unknown name."""
        return self.calendars[name or self.default_calendar]


@lru_cache(maxsize=1)
def rules_schema() -> dict[str, Any]:
    """The JSON Schema of a rules document, shipped inside the package (and in schemas/)."""
    return dict(json.loads(resources.files(__package__).joinpath(SCHEMA_FILE).read_text("utf-8")))


@lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(rules_schema())


def validate(doc: object) -> list[str]:
    """Every problem of a rules document, each "<JSON path>: <what is wrong>"; empty when it is valid."""
    errors = [f"{e.json_path}: {e.message}" for e in sorted(_validator().iter_errors(doc), key=_error_order)]
    if isinstance(doc, dict):
        errors += _semantic_errors(doc)
    return list(dict.fromkeys(errors))  # a rule's common fields are checked twice by the schema


def _error_order(error: Any) -> tuple[str, str]:
    return error.json_path, error.message


def load_rules(doc: dict[str, Any]) -> Rules:
    """Validate and compile a rules document; ``InvalidRules`` lists every problem at once."""
    errors = validate(doc)
    if errors:
        raise InvalidRules(errors)
    return _compile(copy.deepcopy(doc))


@lru_cache(maxsize=1)
def default_rules() -> Rules:
    """The rules Kanal ships with (``default_rules.json``)."""
    text = resources.files(__package__).joinpath(DEFAULT_RULES_FILE).read_text("utf-8")
    return load_rules(json.loads(text))


# --- semantic checks: what JSON Schema cannot say ---


def _rule_ids(doc: Mapping[str, Any]) -> list[tuple[int, str, str]]:
    """(index, id, type) of every rule that has a string type; the id defaults to the type."""
    rules = doc.get("rules")
    out = []
    for i, rule in enumerate(rules if isinstance(rules, list) else []):
        if isinstance(rule, dict) and isinstance(rule.get("type"), str):
            rule_id = rule.get("id", rule["type"])
            out.append((i, rule_id if isinstance(rule_id, str) else "", rule["type"]))
    return out


def _non_finite(value: object, path: str) -> list[str]:
    """JSON parsers accept NaN and Infinity, which pass every minimum and maximum: refuse them."""
    if isinstance(value, float) and not math.isfinite(value):
        return [f"{path}: {value} is not a finite number"]
    if isinstance(value, dict):
        return [e for key, item in value.items() for e in _non_finite(item, f"{path}.{key}")]
    if isinstance(value, list):
        return [e for i, item in enumerate(value) for e in _non_finite(item, f"{path}[{i}]")]
    return []


def _semantic_errors(doc: Mapping[str, Any]) -> list[str]:
    errors = _non_finite(doc, "$") + _band_errors(doc.get("bands")) + _calendar_errors(doc)
    ids = _rule_ids(doc)
    types: dict[str, str] = {}
    for i, rule_id, rule_type in ids:
        if rule_id in types:
            errors.append(f"$.rules[{i}].id: duplicate rule id {rule_id!r} (the id defaults to the type)")
        types.setdefault(rule_id, rule_type)
    for i, _, rule_type in ids:
        kind = RULE_TYPES.get(rule_type)
        if kind is not None:
            errors += kind.check(doc["rules"][i], f"$.rules[{i}]", types)
    channels = [i for i, _, rule_type in ids if rule_type == "channel"]
    if len(channels) != 1:
        errors.append(f"$.rules: needs exactly one 'channel' rule (the SLA targets), found {len(channels)}")
    return errors


def _band_errors(bands: object) -> list[str]:
    if not isinstance(bands, dict):
        return []
    values = [bands.get(b) for b in BANDS[:3]]
    if all(isinstance(v, int) for v in values) and not values[0] > values[1] > values[2]:  # type: ignore[operator]
        return [f"$.bands: thresholds must fall from P1 to P3 (P1 > P2 > P3), got {values}"]
    return []


def _calendar_errors(doc: Mapping[str, Any]) -> list[str]:
    calendars = doc.get("calendars")
    calendars = calendars if isinstance(calendars, dict) else {}
    errors: list[str] = []
    for name, spec in calendars.items():
        if isinstance(spec, dict):
            errors += _business_calendar_errors(spec, f"$.calendars.{name}")
    default = doc.get("default_calendar")
    if isinstance(default, str) and default != ALWAYS_OPEN and default not in calendars:
        errors.append(f"$.default_calendar: no calendar named {default!r}")
    return errors


def _business_calendar_errors(spec: Mapping[str, Any], path: str) -> list[str]:
    errors = _timezone_errors(spec.get("timezone"), f"{path}.timezone")
    hours = spec.get("hours")
    hours = hours if isinstance(hours, dict) else {}
    for day, span in hours.items():
        if _valid_span(span) and parse_clock(span[0]) >= parse_clock(span[1]):
            errors.append(f"{path}.hours.{day}: opens at {span[0]} but closes at {span[1]}")
    if not any(day in hours for day in WEEKDAYS):
        errors.append(f"{path}.hours: the calendar is never open")
    holidays = spec.get("holidays")
    for i, holiday in enumerate(holidays if isinstance(holidays, list) else []):
        errors += _holiday_errors(holiday, f"{path}.holidays[{i}]")
    return errors


_CLOCK = re.compile(r"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$")


def _valid_span(span: object) -> bool:
    return (
        isinstance(span, list)
        and len(span) == 2
        and all(isinstance(s, str) and _CLOCK.match(s) for s in span)
    )


def _timezone_errors(zone: object, path: str) -> list[str]:
    if not isinstance(zone, str) or not zone:
        return []
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return [f"{path}: unknown time zone {zone!r}"]
    return []


def _holiday_errors(holiday: object, path: str) -> list[str]:
    if not isinstance(holiday, str) or not re.fullmatch(r"([0-9]{4}-)?[0-9]{2}-[0-9]{2}", holiday):
        return []
    try:
        parse_holiday(holiday)
    except ValueError:
        return [f"{path}: {holiday!r} is not a date"]
    return []


# --- compiling a valid document ---


def _compile(doc: dict[str, Any]) -> Rules:
    ids = _rule_ids(doc)
    built: dict[str, Rule] = {}
    for combining in (False, True):  # rules that reference others come second
        for i, rule_id, rule_type in ids:
            if RULE_TYPES[rule_type].combines == combining:
                built[rule_id] = RULE_TYPES[rule_type].build(doc["rules"][i], rule_id, i, built)
    rules = tuple(built[rule_id] for _, rule_id, _ in ids)
    channel = next(r for r in rules if isinstance(r, ChannelRule))
    return Rules(
        version=doc["version"],
        bands=Bands(doc["bands"]["P1"], doc["bands"]["P2"], doc["bands"]["P3"]),
        rules=tuple(r for r in rules if r.enabled),
        channel=channel,
        matcher=_matcher(doc, ids),
        sentiment=SentimentConfig(**doc.get("sentiment", {})),
        calendars=MappingProxyType(_calendars(doc)),
        default_calendar=doc.get("default_calendar", ALWAYS_OPEN),
        _source=json.dumps(doc, ensure_ascii=False),
    )


def _matcher(doc: Mapping[str, Any], ids: list[tuple[int, str, str]]) -> TermMatcher:
    terms = []
    for i, _, rule_type in ids:
        extract = RULE_TYPES[rule_type].terms
        if extract is not None:
            terms += [(i, term, label) for term, label in extract(doc["rules"][i])]
    return TermMatcher(terms)


def _calendars(doc: Mapping[str, Any]) -> dict[str, Calendar]:
    calendars: dict[str, Calendar] = {ALWAYS_OPEN: AlwaysOpen()}
    for name, spec in doc.get("calendars", {}).items():
        calendars[name] = build_calendar(name, spec)
    return calendars
