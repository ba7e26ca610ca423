"""Request bodies of the agent API checked against their JSON Schemas (copies of ``schemas/*.schema.json``).

Every problem is listed at once, each as "<JSON path>: <what is wrong>". The messages name the field and
the rule, never the value sent: an agent's e-mail address or phone number must not reach a log or an
error body.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from kanal.errors import InvalidDocument

AGENT = "agent.schema.json"
TEAM = "team.schema.json"
WORK = "work.schema.json"  # the bodies of the work on an inquiry, one $defs entry each

if TYPE_CHECKING:  # jsonschema is imported with the first body to check: the API's reads never need it
    from jsonschema.exceptions import ValidationError


@cache
def schema(name: str) -> dict[str, Any]:
    text = resources.files("kanal.api").joinpath(name).read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def _anchored_pattern(
    validator: Any, pattern: str, instance: Any, _schema: dict[str, Any]
) -> Iterator[ValidationError]:
    """``pattern`` as JSON Schema (ECMA-262) means it: Python's ``$`` also matches before a final newline,
    which would let "lena\\n" pass as an id."""
    from jsonschema.exceptions import ValidationError

    if not validator.is_type(instance, "string"):
        return
    found = re.search(pattern, instance)
    if found is None or (pattern.endswith("$") and found.end() != len(instance)):
        yield ValidationError(f"does not match {pattern}")


@cache
def _validator_class() -> Any:
    from jsonschema import Draft202012Validator, validators

    return validators.extend(Draft202012Validator, {"pattern": _anchored_pattern})


@cache
def _validator(name: str, part: str | None) -> Any:
    whole = schema(name)
    if part is None:
        return _validator_class()(whole)
    document = {"$schema": whole["$schema"], "$defs": whole["$defs"], "$ref": f"#/$defs/{part}"}
    return _validator_class()(document)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _types(expected: object) -> str:
    return " or ".join(expected) if isinstance(expected, list) else str(expected)


_MESSAGES: dict[str, Callable[[Any], str]] = {
    "enum": lambda allowed: "must be one of " + ", ".join(str(item) for item in allowed),
    "type": lambda expected: f"must be of type {_types(expected)}",
    "pattern": lambda pattern: f"must match {pattern}",
    "minimum": lambda limit: f"must be at least {limit}",
    "maximum": lambda limit: f"must be at most {limit}",
    "minLength": lambda limit: "must not be empty" if limit == 1 else f"must be at least {limit} characters",
    "maxLength": lambda limit: f"must be at most {_plural(limit, 'character')}",
    "minItems": lambda limit: f"must have at least {_plural(limit, 'item')}",
    "maxItems": lambda limit: f"must have at most {_plural(limit, 'item')}",
    "uniqueItems": lambda _: "must not name an item twice",
    "anyOf": lambda options: (
        "must have " + " or ".join(", ".join(o.get("required", [])) for o in options if isinstance(o, dict))
    ),
}


def _problem(error: ValidationError) -> str:
    if error.validator in ("required", "additionalProperties"):
        message = error.message  # names the property, carries no value
    elif str(error.validator) in _MESSAGES:
        message = _MESSAGES[str(error.validator)](error.validator_value)
    else:
        message = f"does not satisfy {error.validator}"
    return f"{error.json_path}: {message}"


def problems(name: str, document: object, part: str | None = None) -> list[str]:
    """Every problem of ``document`` under the schema ``name`` (or its ``$defs`` entry ``part``); empty
    when it is valid."""
    found = _validator(name, part).iter_errors(document)
    errors = sorted(found, key=lambda e: (e.json_path, str(e.validator)))
    return list(dict.fromkeys(_problem(error) for error in errors))


def validated(name: str, document: object, part: str | None = None) -> dict[str, Any]:
    """The document when it is valid; ``InvalidDocument`` with every problem otherwise."""
    errors = problems(name, document, part)
    if errors:
        raise InvalidDocument(errors)
    assert isinstance(document, dict)
    return document
