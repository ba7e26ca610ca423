"""The company's rules document in operation: SSM Parameter Store, read through powertools with caching.

Until an admin stores a document (PUT /api/rules), the default rules shipped with Kanal apply. A stored
document must validate completely and carry a new version: each inquiry records the version that scored it.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from kanal.adapters.documents import StoredDocument
from kanal.config import config
from kanal.errors import BadRequest, Conflict, InvalidRules
from kanal.priority import Rules, default_rules, load_rules

STANDARD_TIER_BYTES = 4096
MAX_DOCUMENT_BYTES = 8192  # SSM's advanced tier


@lru_cache(maxsize=8)
def _compiled(document: str) -> Rules:
    return load_rules(json.loads(document))


# Always configured and read on every miss: an admin stores the rules through the API, and they apply at once.
RULES = StoredDocument(lambda: config().rules_parameter, _compiled, default_rules, remember_absence=False)


def current_rules(force: bool = False) -> Rules:
    """The rules in force: the stored document, or the shipped defaults when none is stored."""
    return RULES.current(force)


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
    RULES.refresh()
    return rules
