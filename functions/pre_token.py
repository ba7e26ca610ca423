"""Cognito's pre-token-generation trigger (event version V1_0): the ID token names the signed-in user's
agent (``kanal:agent_id``) and carries the agent's groups as the organisation table has them now; an
unknown or disabled agent gets no token (the trigger raises, so Cognito fails the sign-in or refresh).

Event and response: https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-lambda-pre-token-generation.html
"""

from typing import Any

from kanal.adapters.models import bind_organisation
from kanal.adapters.roster_store import OrganisationStore
from kanal.api.sign_in import AGENT_ID_ATTRIBUTE, SignInRefused, token_claims
from kanal.config import load
from kanal.observability import logger

bind_organisation(load("organisation_table"))  # cold start: configuration checked
agents = OrganisationStore()


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    attributes = (event.get("request") or {}).get("userAttributes") or {}
    try:
        granted = token_claims(agents, attributes.get(AGENT_ID_ATTRIBUTE))
    except SignInRefused:
        logger.warning("sign-in refused", extra={"trigger": event.get("triggerSource")})
        raise
    event["response"] = {
        "claimsOverrideDetails": {
            "claimsToAddOrOverride": granted.claims,
            "groupOverrideDetails": {"groupsToOverride": list(granted.groups)},
        }
    }
    logger.info("token issued", extra={"agent": granted.agent_id, "trigger": event.get("triggerSource")})
    return event
