"""JSON Schemas shipped inside the package (copies of ``schemas/*.schema.json``) and their problems.

Each problem reads "<JSON path>: <what is wrong>", sorted by path, all listed at once. jsonschema is
imported with the first check, so a function that loads no document does not pay for it at cold start.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any


@cache
def packaged(package: str, name: str) -> dict[str, Any]:
    """The schema ``name`` shipped in ``package`` (e.g. ``kanal.routing``)."""
    text = resources.files(package).joinpath(name).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def _validator(package: str, name: str) -> Any:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(packaged(package, name))


def problems(package: str, name: str, document: object) -> list[str]:
    """Every problem of ``document`` against the schema; empty when it is valid."""
    errors = _validator(package, name).iter_errors(document)
    return [f"{error.json_path}: {error.message}" for error in sorted(errors, key=lambda e: e.json_path)]
