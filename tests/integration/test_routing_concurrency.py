"""Assignment under concurrency, on the real DynamoDB adapter: never two owners, never over capacity.

The emulator answers one request at a time here, as DynamoDB answers each request (and each transaction)
atomically: moto applies a transaction item by item and rolls back by copying whole tables, so two
requests inside it at once could interleave in ways DynamoDB never does (docs/decisions.md, "Local
DynamoDB calls are serialised"). What races is everything between the requests: every worker reads the
inquiry before any of them writes, so each passes the adapter's own check on what it read, and only the
conditions of the transaction stand between them and a second owner.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any
from unittest import mock

import boto3
import botocore.client
import pytest
from moto import mock_aws
from pynamodb.exceptions import TransactWriteError

from kanal.adapters import items
from kanal.adapters.models import (
    CustomerItem,
    InquiryItem,
    MemberItem,
    MessageItem,
    OrgItem,
    bind,
    bind_organisation,
)
from kanal.adapters.roster_store import AlreadyOwned, CapacityTaken, OrganisationStore
from kanal.adapters.store import DynamoStore
from kanal.config import Config
from kanal.model import Author, Channel, Direction, Inquiry, Message, Status, Visibility
from kanal.routing.roster import Agent, AgentStatus
from kanal_local.template import load_template

pytestmark = pytest.mark.integration

REGION = "eu-central-1"
TEAM = "care"
TABLES = {  # environment variable -> the table's logical id in template.yaml
    "KANAL_INQUIRIES_TABLE": "InquiriesTable",
    "KANAL_MESSAGES_TABLE": "MessagesTable",
    "KANAL_CUSTOMERS_TABLE": "CustomersTable",
    "KANAL_ORGANISATION_TABLE": "OrganisationTable",
}
MODELS = (InquiryItem, MessageItem, CustomerItem, OrgItem, MemberItem)
CREATED = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)

Outcome = str | BaseException  # "assigned", or the error the attempt raised


@contextmanager
def one_request_at_a_time() -> Iterator[None]:
    """Each DynamoDB request runs alone, as it would in DynamoDB; workers still interleave between them."""
    lock = threading.Lock()
    original = botocore.client.BaseClient._make_api_call

    def call(client: Any, operation: str, params: dict[str, Any]) -> Any:
        if client.meta.service_model.signing_name != "dynamodb":
            return original(client, operation, params)
        with lock:
            return original(client, operation, params)

    with mock.patch.object(botocore.client.BaseClient, "_make_api_call", call):
        yield


def _keys_only(index: dict) -> dict:
    """A declared index without its billing settings (warm throughput is an intrinsic `Fn::If` there)."""
    return {k: v for k, v in index.items() if k in ("IndexName", "KeySchema", "Projection")}


@contextmanager
def rebound_models(config: Config) -> Iterator[None]:
    """Bind the models to this test's tables, and back to wherever they pointed before."""
    saved = [(model, model.Meta.table_name, model.Meta.region) for model in MODELS]
    bind(config)
    bind_organisation(config)
    items.connection.cache_clear()
    try:
        yield
    finally:
        for model, table, region in saved:
            model.Meta.table_name, model.Meta.region = table, region
            model._connection = None
        items.connection.cache_clear()


@pytest.fixture
def org() -> Iterator[OrganisationStore]:
    """The four tables of template.yaml (keys and indexes as declared there) in the emulator, models bound."""
    suffix = uuid.uuid4().hex[:8]
    environ = {
        "AWS_DEFAULT_REGION": REGION,
        **{name: f"kanal-{name[6:].lower()}-{suffix}" for name in TABLES},
    }
    resources = load_template()["Resources"]
    # reset=False: under a running local stack (one emulator per test session) its tables stay as they are
    mocked = mock_aws()
    mocked.start(reset=False)
    client = boto3.client("dynamodb", region_name=REGION)
    try:
        for variable, logical_id in TABLES.items():
            declared = resources[logical_id]["Properties"]
            client.create_table(
                TableName=environ[variable],
                BillingMode=declared["BillingMode"],
                AttributeDefinitions=declared["AttributeDefinitions"],
                KeySchema=declared["KeySchema"],
                **(
                    {"GlobalSecondaryIndexes": [_keys_only(i) for i in declared["GlobalSecondaryIndexes"]]}
                    if "GlobalSecondaryIndexes" in declared
                    else {}
                ),
            )
        with rebound_models(Config(environ)), one_request_at_a_time():
            yield OrganisationStore()
    finally:
        for variable in TABLES:
            client.delete_table(TableName=environ[variable])
        mocked.stop()


def an_agent(org: OrganisationStore, ident: str, max_concurrent: int = 5) -> Agent:
    return org.save_agent(
        Agent(ident, ident.title(), teams=(TEAM,), max_concurrent=max_concurrent, status=AgentStatus.ONLINE),
        create=True,
    )


def an_inquiry(n: int = 1) -> str:
    """An inquiry as intake stores it: new, unrouted, nobody's."""
    inquiry_id = uuid.uuid4().hex
    author = Author(f"cust-{n}", "Kim", "kim")
    inquiry = Inquiry(
        id=inquiry_id,
        channel=Channel.X,
        external_id=f"x-{inquiry_id}",
        author=author,
        text="Where is my order?",
        visibility=Visibility.PUBLIC,
        thread_id=f"t-{inquiry_id}",
        account_id="brand",
        customer_id=f"cust-{n}",
        created_at=CREATED,
        received_at=CREATED,
    )
    first = Message(
        inquiry_id,
        Channel.X,
        inquiry.external_id,
        Direction.IN,
        author,
        inquiry.text,
        Visibility.PUBLIC,
        CREATED,
    )
    DynamoStore().create_inquiry(inquiry, first, f"cust-{n}#x#t-{inquiry_id}", None)
    return inquiry_id


def attempt(org: OrganisationStore, inquiry_id: str, agent: Agent) -> Callable[[], Outcome]:
    def run() -> Outcome:
        try:
            org.assign(inquiry_id, TEAM, agent, None)
        except (AlreadyOwned, CapacityTaken) as error:
            return error
        return "assigned"

    return run


def race(*attempts: Callable[[], Outcome]) -> list[Outcome]:
    """Run the attempts in threads of their own; none writes before every one has read its inquiry."""
    barrier = threading.Barrier(len(attempts), timeout=10)
    read = InquiryItem.get

    def read_then_wait(*args: Any, **kwargs: Any) -> InquiryItem:
        item = read(*args, **kwargs)
        barrier.wait()
        return item

    with mock.patch.object(InquiryItem, "get", read_then_wait), ThreadPoolExecutor(len(attempts)) as pool:
        futures = [pool.submit(a) for a in attempts]
        return [f.result() for f in futures]


def rejected_by_dynamodb(outcome: Outcome, kind: type[Exception]) -> bool:
    """The attempt lost to the transaction's condition, not to a check on what it had read."""
    return isinstance(outcome, kind) and isinstance(outcome.__cause__, TransactWriteError)


def caseload(org: OrganisationStore, agent_id: str) -> int:
    agent = org.get_agent(agent_id)
    assert agent is not None
    return agent.figures.open_caseload


def stored(inquiry_id: str) -> Inquiry:
    inquiry = DynamoStore().get_inquiry(inquiry_id)
    assert inquiry is not None
    return inquiry


# ---------------------------------------------------------------- one inquiry, several agents


@pytest.mark.parametrize("agents", [2, 4])
def test_agents_racing_for_one_inquiry_never_both_own_it(org: OrganisationStore, agents: int) -> None:
    for round_ in range(5):
        # Given an unowned inquiry and several online agents with free capacity
        inquiry_id = an_inquiry(round_)
        team = [an_agent(org, f"agent-{round_}-{n}") for n in range(agents)]
        # When each of them is assigned it at once, every attempt having read it unowned
        outcomes = race(*(attempt(org, inquiry_id, agent) for agent in team))
        # Then exactly one succeeds and every other is turned away by DynamoDB as already owned
        assert outcomes.count("assigned") == 1, outcomes
        winner = team[outcomes.index("assigned")]
        losers = [o for o in outcomes if o != "assigned"]
        assert all(rejected_by_dynamodb(o, AlreadyOwned) for o in losers), losers
        # And the inquiry has that one owner, on whose caseload alone it counts
        inquiry = stored(inquiry_id)
        assert (inquiry.assignee, inquiry.team, inquiry.status) == (winner.id, TEAM, Status.ASSIGNED)
        assert [caseload(org, a.id) for a in team] == [1 if a is winner else 0 for a in team]
        assert [i.id for i in InquiryItem.by_assignee.query(f"{winner.id}#{Status.ASSIGNED}")] == [inquiry_id]


def test_a_second_assignment_after_the_first_is_turned_away_before_it_writes(org: OrganisationStore) -> None:
    # Given an inquiry that one agent got
    inquiry_id = an_inquiry()
    ada, ben = an_agent(org, "ada"), an_agent(org, "ben")
    org.assign(inquiry_id, TEAM, ada, None)
    # When another assignment that still believes it unowned follows
    with pytest.raises(AlreadyOwned):
        org.assign(inquiry_id, TEAM, ben, None)
    # Then nothing moved
    assert stored(inquiry_id).assignee == "ada"
    assert (caseload(org, "ada"), caseload(org, "ben")) == (1, 0)


# ---------------------------------------------------------------- capacity


def test_an_agent_who_filled_up_meanwhile_gets_capacity_taken_and_the_inquiry_stays_unowned(
    org: OrganisationStore,
) -> None:
    # Given an agent with room for two, read by routing while one case was open
    an_agent(org, "ada", max_concurrent=2)
    org.assign(an_inquiry(1), TEAM, org.get_agent("ada"), None)  # type: ignore[arg-type]
    as_read = org.get_agent("ada")
    assert as_read is not None and as_read.under_capacity
    # And another inquiry that filled their last slot since
    org.assign(an_inquiry(2), TEAM, as_read, None)
    # When routing assigns them a third inquiry on what it read
    third = an_inquiry(3)
    with pytest.raises(CapacityTaken) as caught:
        org.assign(third, TEAM, as_read, None)
    # Then DynamoDB turned it away on the agent's capacity, and the inquiry is still nobody's
    assert rejected_by_dynamodb(caught.value, CapacityTaken)
    inquiry = stored(third)
    assert (inquiry.assignee, inquiry.status) == (None, Status.NEW)
    assert caseload(org, "ada") == 2


def test_an_agent_who_went_away_meanwhile_gets_capacity_taken(org: OrganisationStore) -> None:
    # Given an agent routing read as online, who stepped away since
    as_read = an_agent(org, "ada")
    org.set_status("ada", AgentStatus.AWAY)
    inquiry_id = an_inquiry()
    # When routing assigns them the inquiry
    with pytest.raises(CapacityTaken):
        org.assign(inquiry_id, TEAM, as_read, None)
    # Then it stays unowned and their caseload untouched
    assert stored(inquiry_id).assignee is None
    assert caseload(org, "ada") == 0


def test_two_inquiries_racing_for_the_last_free_slot(org: OrganisationStore) -> None:
    for round_ in range(5):
        # Given an agent with one free slot of three
        ada = an_agent(org, f"ada-{round_}", max_concurrent=3)
        for n in range(2):
            org.assign(an_inquiry(n), TEAM, ada, None)
        as_read = org.get_agent(ada.id)
        assert as_read is not None and as_read.figures.open_caseload == 2
        # When two inquiries are assigned to them at once, both having read the agent with room to spare
        first, second = an_inquiry(10), an_inquiry(11)
        outcomes = race(attempt(org, first, as_read), attempt(org, second, as_read))
        # Then one is assigned and the other turned away by DynamoDB on capacity
        assert sorted(map(str, outcomes)) == sorted(["assigned", ada.id]), outcomes
        loser = [first, second][1 - outcomes.index("assigned")]
        assert all(rejected_by_dynamodb(o, CapacityTaken) for o in outcomes if o != "assigned")
        # And the agent carries exactly max_concurrent, the other inquiry still nobody's
        assert caseload(org, ada.id) == 3
        assert stored(loser).assignee is None
        assert stored([first, second][outcomes.index("assigned")]).assignee == ada.id


# ---------------------------------------------------------------- the agent's figures


def test_an_assignment_keeps_a_first_response_recorded_after_routing_read_the_agent(
    org: OrganisationStore,
) -> None:
    # Given an agent as routing read them
    as_read = an_agent(org, "ada")
    # And a first response of theirs recorded since (on another inquiry)
    org.record_first_response("ada", 90.0)
    # When routing assigns them an inquiry on what it read
    org.assign(an_inquiry(), TEAM, as_read, None)
    # Then the first response still counts, and the assignment is recorded for the round-robin
    after = org.get_agent("ada")
    assert after is not None
    assert (after.figures.first_responses, after.figures.first_response_seconds) == (1, 90.0)
    assert after.figures.last_assigned_at > ""
    assert after.figures.open_caseload == 1
