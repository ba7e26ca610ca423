"""Agents' sign-in users in the Cognito user pool: created, changed and disabled with their agent.

The pool signs in by e-mail address (``UsernameAttributes: [email]``); each user carries their agent's id
in the immutable attribute ``custom:agent_id``, which the pre-token-generation trigger reads. Cognito
e-mails the invitation with a temporary password (``AdminCreateUser``). The role may call exactly the
operations used here, on the user pool's ARN (template.yaml, ``ApiFunction``).
"""

from __future__ import annotations

from typing import Any

from kanal.api.sign_in import AGENT_ID_ATTRIBUTE
from kanal.errors import Conflict, InvalidDocument
from kanal.routing.roster import Agent


class CognitoIdentities:
    def __init__(self, client: Any, user_pool_id: str) -> None:
        self.client = client
        self.user_pool_id = user_pool_id

    def create(self, agent: Agent) -> None:
        """The agent's user, invited by e-mail; a 409 when the address signs in another user already."""
        if not agent.email:
            return  # no address, no sign-in: such an agent is only notified by SMS
        errors = self.client.exceptions
        try:
            self.client.admin_create_user(
                UserPoolId=self.user_pool_id,
                Username=agent.email,
                UserAttributes=[
                    {"Name": "email", "Value": agent.email},
                    {"Name": "email_verified", "Value": "true"},
                    {"Name": AGENT_ID_ATTRIBUTE, "Value": agent.id},
                ],
                DesiredDeliveryMediums=["EMAIL"],
            )
        except errors.UsernameExistsException as error:
            raise Conflict("another agent signs in with this e-mail address") from error
        except (errors.InvalidParameterException, errors.InvalidEmailRoleAccessPolicyException) as error:
            raise InvalidDocument(["$.email: not an address the user pool accepts"]) from error

    def remove(self, agent: Agent) -> None:
        """Undo `create` when the agent could not be stored."""
        if agent.email:
            self.client.admin_delete_user(UserPoolId=self.user_pool_id, Username=agent.email)

    def change(self, before: Agent, after: Agent) -> None:
        """Follow a changed profile: a new address, disabled (signed out everywhere) or enabled again."""
        if not before.email:
            self.create(after)
            return
        username = before.email
        if after.email and after.email != before.email:
            try:
                self.client.admin_update_user_attributes(
                    UserPoolId=self.user_pool_id,
                    Username=username,
                    UserAttributes=[
                        {"Name": "email", "Value": after.email},
                        {"Name": "email_verified", "Value": "true"},
                    ],
                )
            except self.client.exceptions.AliasExistsException as error:
                raise Conflict("another agent signs in with this e-mail address") from error
            username = after.email
        if before.enabled and not after.enabled:
            self.client.admin_disable_user(UserPoolId=self.user_pool_id, Username=username)
            self.client.admin_user_global_sign_out(UserPoolId=self.user_pool_id, Username=username)
        elif after.enabled and not before.enabled:
            self.client.admin_enable_user(UserPoolId=self.user_pool_id, Username=username)
