"""Routing's composition for a function: the AWS adapters behind the assigner, the state machine's tasks, the
events and the work on an inquiry, each built once (the events and the work with their first use)."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

import boto3

from kanal.adapters.documents import StoredDocument
from kanal.adapters.models import bind, bind_organisation
from kanal.adapters.roster_store import OrganisationStore
from kanal.adapters.sns import SnsNotifier
from kanal.adapters.stepfunctions import StepFunctionsWorkflow, TaskReleaser
from kanal.adapters.store import DynamoStore
from kanal.config import config, load
from kanal.routing.assign import Assigner
from kanal.routing.policy import Policy, compiled_policy, default_policy
from kanal.routing.tasks import Tasks

if TYPE_CHECKING:
    from kanal.adapters.identity import CognitoIdentities
    from kanal.priority import Rules
    from kanal.routing.casework import Casework
    from kanal.routing.events import Events


def current_rules() -> Rules:
    """The stored rules (the priority engine is imported with the first inquiry to score)."""
    from kanal.adapters.rules import current_rules as stored

    return stored()


POLICY = StoredDocument(lambda: config().escalation_parameter, compiled_policy, default_policy)


def current_policy() -> Policy:
    """The stored escalation policy, or the shipped default when none is stored."""
    return POLICY.current()


@cache
def identities() -> CognitoIdentities:
    """Agents' sign-in users in the user pool (only the agent API creates and disables them)."""
    from kanal.adapters.identity import CognitoIdentities

    return CognitoIdentities(boto3.client("cognito-idp"), config().user_pool_id)


@cache
def notifier() -> SnsNotifier:
    return SnsNotifier(boto3.client("sns"), config().notifications_topic_arn)


REQUIRED = (
    "inquiries_table",
    "customers_table",
    "organisation_table",
    "notifications_topic_arn",
    "routing_state_machine_arn",
)


def check() -> None:
    """Fail at cold start if a setting the routing service needs is missing (creates nothing)."""
    load(*REQUIRED)


@cache
def assigner() -> Assigner:
    settings = load(*REQUIRED)
    bind(settings)
    bind_organisation(settings)
    return Assigner(DynamoStore(), OrganisationStore(), notifier(), console_url=settings.console_url)


@cache
def _stepfunctions() -> Any:
    return boto3.client("stepfunctions")


@cache
def tasks() -> Tasks:
    """The state machine's tasks (and the release of its waits)."""
    scale = load(*REQUIRED).time_scale
    return Tasks(assigner(), current_rules, current_policy, TaskReleaser(_stepfunctions()), scale=scale)


@cache
def casework() -> Casework:
    """Claim, pass on, assign, transfer, wait, reopen."""
    from kanal.routing.casework import Casework

    workflow = StepFunctionsWorkflow(_stepfunctions(), load(*REQUIRED).routing_state_machine_arn)
    return Casework(assigner(), tasks(), workflow)


@cache
def events() -> Events:
    """Responded, followed up, resolved, SMS replies, agent status."""
    from kanal.routing.events import Events

    return Events(assigner(), tasks(), casework())
