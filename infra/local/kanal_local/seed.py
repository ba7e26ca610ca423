"""The organisation the local stack starts with, from one file: `infra/local/organisation.json`."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import boto3

ORGANISATION_FILE = Path(__file__).resolve().parents[1] / "organisation.json"


@cache
def organisation_document(path: Path = ORGANISATION_FILE) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


def seed_organisation(
    topic_arn: str, region: str, user_pool_id: str, path: Path = ORGANISATION_FILE
) -> dict[str, int]:
    """Store the teams, agents and on-call contacts, with their notification subscriptions and their
    sign-in users in the user pool: the same domain code as `POST /api/agents`."""
    import os

    from kanal.adapters.identity import CognitoIdentities
    from kanal.adapters.models import bind_organisation
    from kanal.adapters.roster_store import OrganisationStore
    from kanal.adapters.sns import SnsNotifier
    from kanal.config import Config
    from kanal.routing.roster import agent_from_document, oncall_from_document, team_from_document
    from kanal.routing.staffing import Organisation

    bind_organisation(Config(dict(os.environ)))
    document = organisation_document(path)
    organisation = Organisation(
        OrganisationStore(),
        SnsNotifier(boto3.client("sns", region_name=region), topic_arn),
        CognitoIdentities(boto3.client("cognito-idp", region_name=region), user_pool_id),
    )
    for team in document["teams"]:
        organisation.save_team(team_from_document(team), create=True)
    for agent in document["agents"]:
        organisation.save_agent(agent_from_document(agent), create=True)
    for contact in document.get("oncall", []):
        organisation.save_oncall(oncall_from_document(contact))
    return {"teams": len(document["teams"]), "agents": len(document["agents"])}
