"""The company's rules document in operation: SSM Parameter Store, read through powertools with caching.

Until an admin stores a document (PUT /api/rules), the default rules shipped with Kanal apply. A stored
document must validate completely and carry a new version: each inquiry records the version that scored it.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from aws_lambda_powertools.utilities import parameters
from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError
from botocore.exceptions import ClientError

from kanal.config import config
from kanal.errors import BadRequest, Conflict, InvalidRules
from kanal.priority import Rules, default_rules, load_rules

STANDARD_TIER_BYTES = 4096
MAX_DOCUMENT_BYTES = 8192  # SSM's advanced tier


def _cache_seconds() -> int:
    return int(config().environ.get("KANAL_RULES_CACHE_SECONDS", "60"))


def _not_found(error: GetParameterError) -> bool:
    cause = error.__cause__ or error.__context__  # powertools raises it while handling the ClientError
    return isinstance(cause, ClientError) and cause.response["Error"]["Code"] == "ParameterNotFound"


@lru_cache(maxsize=8)
def _compiled(document: str) -> Rules:
    return load_rules(json.loads(document))


def current_rules(force: bool = False) -> Rules:
    """The rules in force: the stored document, or the shipped defaults when none is stored."""
    try:
        document = parameters.get_parameter(
            config().rules_parameter, max_age=_cache_seconds(), force_fetch=force
        )
    except GetParameterError as error:
        if _not_found(error):
            return default_rules()
        raise
    return _compiled(str(document))


def serialise(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def store_rules(client: Any, document: Any) -> Rules:
    """Validate a new rules document and store it; on any error nothing changes.

    Raises InvalidRules (every problem listed), BadRequest (too large), Conflict (version not new).
    """
    if not isinstance(document, dict):
        raise InvalidRules(["$: the rules document must be a JSON object"])
    rules = load_rules(document)
    text = serialise(rules.document)
    size = len(text.encode("utf-8"))
    if size > MAX_DOCUMENT_BYTES:
        raise BadRequest(f"the rules document is {size} bytes; at most {MAX_DOCUMENT_BYTES} are stored")
    running = current_rules(force=True)
    if rules.version == running.version and serialise(running.document) != text:
        raise Conflict(f"version {rules.version} is in force already; give the changed rules a new version")
    client.put_parameter(
        Name=config().rules_parameter,
        Value=text,
        Type="String",
        Overwrite=True,
        Tier="Advanced" if size > STANDARD_TIER_BYTES else "Standard",
        Description=f"Kanal priority rules {rules.version}"[:1024],
    )
    parameters.get_parameter(config().rules_parameter, force_fetch=True, max_age=_cache_seconds())
    return rules
