"""What a function imports at cold start: the webhooks answer within Meta's and X's deadlines by not loading
the store (PynamoDB, its items and stores) at all; ingest loads the store and not the agent API's modules."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = {
    name: "dummy"
    for name in (
        "KANAL_INQUIRIES_TABLE",
        "KANAL_MESSAGES_TABLE",
        "KANAL_CUSTOMERS_TABLE",
        "KANAL_ORGANISATION_TABLE",
        "KANAL_REPORTS_TABLE",
        "KANAL_IDEMPOTENCY_TABLE",
        "KANAL_INGEST_QUEUE_URL",
        "KANAL_ROUTING_STATE_MACHINE_ARN",
        "KANAL_NOTIFICATIONS_TOPIC_ARN",
        "KANAL_RULES_PARAMETER",
        "KANAL_SECRETS_PREFIX",
        "KANAL_USER_POOL_ID",
    )
}


def _imported(module: str) -> set[str]:
    """The modules a fresh interpreter holds after importing the function's handler module."""
    environ = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("KANAL_", "AWS_"))},
        **SETTINGS,
        "AWS_DEFAULT_REGION": "eu-central-1",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "functions"), str(ROOT / "layers" / "kanal")]),
    }
    script = f"import json, sys; import {module}; print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", script], env=environ, capture_output=True, text=True, check=True
    )
    return set(json.loads(done.stdout))


@pytest.mark.parametrize("webhook", ["webhook_meta", "webhook_x", "webhook_contact_events"])
def test_a_webhook_function_does_not_import_the_store(webhook: str) -> None:
    store = {"pynamodb", "kanal.adapters.models", "kanal.adapters.items", "kanal.adapters.store"}
    store |= {f"kanal.adapters.{aggregate}_store" for aggregate in ("inquiry", "message", "customer")}
    assert not store & _imported(webhook)


def test_ingest_imports_the_store_but_not_the_agent_api_or_routing() -> None:
    imported = _imported("ingest")
    assert "kanal.adapters.store" in imported
    assert not {m for m in imported if m.startswith(("kanal.api.", "kanal.routing.", "kanal.conversation."))}
