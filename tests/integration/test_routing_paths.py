"""The routing state machine's named execution cases, on the embedded stack with the time scale.

Each case gets a desk of its own: a team that takes inquiries naming a word only that test uses (a topic
rule in the rules document), with its own agents and lead, so no other test's inquiries fill their
capacity. A webhook goes in over HTTP; what comes out is read from the execution history, the agent API,
`GET /local/notifications` and `POST /local/sms`.
"""

from __future__ import annotations

import uuid

import pytest

from tests.conftest import eventually, load_event
from tests.integration.test_rules_and_routing import inquiry_of, post_meta

BUDGET_TRANSITIONS = 8


def whatsapp(local, http, text: str, sender: str | None = None) -> tuple[str, str]:
    event = load_event("meta/whatsapp_text.json")
    value = event["entry"][0]["changes"][0]["value"]
    sender = sender or f"49151{uuid.uuid4().int % 10**8:08d}"
    value["contacts"][0]["wa_id"] = sender
    message = value["messages"][0]
    message["from"], message["id"] = sender, f"wamid.{uuid.uuid4().hex}"
    message["text"]["body"] = text
    post_meta(local, http, event)
    return sender, message["id"]


def routed(local, http, headers, message_id: str, status: str = "assigned") -> dict:
    first = inquiry_of(local, http, headers, "whatsapp", message_id, scored=False)
    return detail(local, http, headers, first["id"], lambda d: d["status"] == status)


def detail(local, http, headers, inquiry_id: str, until=lambda d: True, timeout: float = 20) -> dict:
    def fetch():
        found = http.get(f"{local.url}/api/inquiries/{inquiry_id}", headers=headers).json()
        return found if until(found) else None

    return eventually(fetch, timeout=timeout, interval=0.2)


def notices(local, http, inquiry_id: str) -> list[dict]:
    items = http.get(f"{local.url}/local/notifications").json()["items"]
    return [n for n in items if n.get("inquiry_id") == inquiry_id]


def history(local, inquiry_id: str) -> list[dict]:
    stepfunctions = local.stack.client("stepfunctions")
    machine = local.stack.outputs["RoutingStateMachineArn"]
    execution = f"{machine.replace(':stateMachine:', ':execution:')}:{inquiry_id}"
    return stepfunctions.get_execution_history(executionArn=execution, maxResults=1000)["events"]


def execution_status(local, inquiry_id: str) -> str:
    stepfunctions = local.stack.client("stepfunctions")
    machine = local.stack.outputs["RoutingStateMachineArn"]
    execution = f"{machine.replace(':stateMachine:', ':execution:')}:{inquiry_id}"
    return stepfunctions.describe_execution(executionArn=execution)["status"]


def transitions(events: list[dict]) -> int:
    return sum(1 for e in events if e["type"].endswith("StateEntered"))


def resolve(local, http, headers, inquiry_id: str) -> None:
    from kanal.routing.wiring import events

    events().resolved(inquiry_id)
    eventually(lambda: execution_status(local, inquiry_id) == "SUCCEEDED", timeout=20)


def test_happy_path_answered_in_time_one_notification_no_escalation(local, http, admin_headers, desk):
    from kanal.routing.wiring import events

    # Given an inquiry routed to the desk, its owner told once by e-mail and SMS
    _, message_id = whatsapp(local, http, f"Hallo, kurze Frage zu {desk.word}")
    inquiry = routed(local, http, admin_headers, message_id)
    assert inquiry["team"] == desk.team and inquiry["assignee"] in desk.agents
    # When the owner answers in time (what a reply does) and then resolves it
    events().responded(inquiry["id"])
    answered = detail(local, http, admin_headers, inquiry["id"], lambda d: d["sla"]["first_response_at"])
    assert answered["sla"]["breached"] is False and answered["escalations"] == []
    resolve(local, http, admin_headers, inquiry["id"])
    # Then the execution succeeded within the transition budget, with one notification and no escalation
    events = history(local, inquiry["id"])
    assert transitions(events) <= BUDGET_TRANSITIONS, [e["type"] for e in events]
    sent = notices(local, http, inquiry["id"])
    assert {(n["kind"], n["recipient"]) for n in sent} == {("assigned", inquiry["assignee"])}
    assert {n["protocol"] for n in sent} == {"email", "sms"}
    assert {n["address"] for n in sent} == {
        desk.phones[inquiry["assignee"]],
        f"{inquiry['assignee']}@velora.example",
    }
    assert detail(local, http, admin_headers, inquiry["id"])["status"] == "resolved"


@pytest.mark.sla_minutes(3)
def test_timeout_path_warns_then_escalates_tier_by_tier_to_the_right_people(local, http, admin_headers, desk):
    # Given an inquiry with a three-minute SLA (three seconds at the test's time scale)
    _, message_id = whatsapp(local, http, f"Hallo {desk.word}, ist jemand da?")
    inquiry = routed(local, http, admin_headers, message_id)
    first_owner = inquiry["assignee"]
    # When nobody answers
    escalated = detail(
        local, http, admin_headers, inquiry["id"], lambda d: len(d["escalations"]) >= 2, timeout=40
    )
    # Then the owner was warned, the lead told at tier 1 while the next agent took it, ops paged at tier 2
    assert [e["tier"] for e in escalated["escalations"]] == [1, 2]
    assert escalated["escalations"][0]["to"] == [desk.lead]
    assert escalated["escalations"][1]["to"] == ["ops"]
    assert escalated["sla"]["breached"] is True and escalated["sla"]["tier"] == 2
    assert escalated["assignee"] in desk.agents and escalated["assignee"] != first_owner
    sent = eventually(lambda: (s := notices(local, http, inquiry["id"])) and len(s) >= 7 and s, timeout=15)
    kinds = [(n["kind"], n["recipient"], n["protocol"]) for n in sent]
    assert kinds.index(("assigned", first_owner, "sms")) < kinds.index(("warning", first_owner, "sms"))
    assert kinds.index(("warning", first_owner, "sms")) < kinds.index(("escalation", desk.lead, "sms"))
    assert ("assigned", escalated["assignee"], "email") in kinds  # the next owner is told too
    ops = [n for n in sent if n["recipient"] == "ops"]
    assert [n["protocol"] for n in ops] == ["sms"] and ops[0]["address"] == "+4915199999999"
    for notice in sent:  # an SMS names no customer and carries no message text
        assert desk.word not in notice["text"] and "Hallo" not in notice["text"]
    entered = [
        e["stateEnteredEventDetails"]["name"]
        for e in history(local, inquiry["id"])
        if "stateEnteredEventDetails" in e
    ]
    assert entered[:4] == ["Route", "Await", "Deadline", "Done?"]
    resolve(local, http, admin_headers, inquiry["id"])


def test_customer_waiting_path_pauses_the_clock_and_a_follow_up_resumes_it(local, http, admin_headers, desk):
    from kanal.routing.wiring import events

    # Given an answered inquiry whose owner asked the customer something (waiting: the clock pauses)
    sender, message_id = whatsapp(local, http, f"Meine Bestellung {desk.word} fehlt")
    inquiry = routed(local, http, admin_headers, message_id)
    events().responded(inquiry["id"], waiting=True)
    paused = detail(local, http, admin_headers, inquiry["id"], lambda d: d["status"] == "waiting")
    assert paused["sla"]["paused"] is True
    # When the customer answers in the same conversation
    whatsapp(local, http, "Die Nummer ist 55-1043", sender=sender)
    resumed = detail(local, http, admin_headers, inquiry["id"], lambda d: d["status"] == "assigned")
    # Then a next-response window runs from the follow-up, the first response is kept, and it escalates the
    # same way when missed (the execution is waiting on the new deadline)
    assert resumed["sla"]["paused"] is False and resumed["sla"]["responded"] is False
    assert resumed["sla"]["due_at"] > paused["sla"]["due_at"]
    assert resumed["sla"]["first_response_at"] == paused["sla"]["first_response_at"]
    assert len(resumed["messages"]) == 2
    events().responded(inquiry["id"])
    resolve(local, http, admin_headers, inquiry["id"])
    assert detail(local, http, admin_headers, inquiry["id"])["escalations"] == []


def test_reassign_path_an_owner_going_offline_hands_unanswered_inquiries_back(
    local, http, admin_headers, desk
):
    from kanal.routing.roster import AgentStatus
    from kanal.routing.wiring import events

    # Given an inquiry assigned to one of the desk's agents
    _, message_id = whatsapp(local, http, f"Frage zu {desk.word}")
    inquiry = routed(local, http, admin_headers, message_id)
    owner = inquiry["assignee"]
    other = next(a for a in desk.agents if a != owner)
    # When the owner goes offline before answering
    events().agent_status_changed(owner, AgentStatus.OFFLINE)
    # Then the other agent owns it and is told
    moved = detail(local, http, admin_headers, inquiry["id"], lambda d: d["assignee"] == other)
    assert moved["status"] == "assigned"
    assert ("assigned", other) in {(n["kind"], n["recipient"]) for n in notices(local, http, inquiry["id"])}
    resolve(local, http, admin_headers, inquiry["id"])


def test_nobody_online_path_queues_then_assigns_when_an_agent_comes_online(local, http, admin_headers, desk):
    from kanal.routing.roster import AgentStatus
    from kanal.routing.wiring import assigner, events

    # Given nobody of the desk is online
    for agent in desk.agents:
        assigner().org.set_status(agent, AgentStatus.OFFLINE)
    # When an inquiry for the desk arrives
    _, message_id = whatsapp(local, http, f"Hallo {desk.word}")
    inquiry = routed(local, http, admin_headers, message_id, status="queued")
    # Then it waits in the team's queue without an owner
    assert inquiry["team"] == desk.team and inquiry["assignee"] is None
    queue = http.get(
        f"{local.url}/api/inquiries", params={"team": desk.team, "status": "queued"}, headers=admin_headers
    ).json()["items"]
    assert [i["id"] for i in queue] == [inquiry["id"]]
    # and when an agent comes online it is theirs, and they are told
    events().agent_status_changed(desk.agents[0], AgentStatus.ONLINE)
    assigned = detail(local, http, admin_headers, inquiry["id"], lambda d: d["status"] == "assigned")
    assert assigned["assignee"] == desk.agents[0]
    assert ("assigned", desk.agents[0]) in {
        (n["kind"], n["recipient"]) for n in notices(local, http, inquiry["id"])
    }
    resolve(local, http, admin_headers, inquiry["id"])


def test_sms_claim_path_only_the_owners_number_claims(local, http, admin_headers, desk):
    # Given an inquiry whose owner got the notification SMS
    _, message_id = whatsapp(local, http, f"Hallo {desk.word}")
    inquiry = routed(local, http, admin_headers, message_id)
    owner = inquiry["assignee"]
    sms = eventually(
        lambda: [n for n in notices(local, http, inquiry["id"]) if n["protocol"] == "sms"], timeout=10
    )
    assert "1" in sms[0]["text"] and "2" in sms[0]["text"]
    # When "1" arrives from another number, nothing changes
    other_phone = desk.phones[next(a for a in desk.agents if a != owner)]
    assert http.post(f"{local.url}/local/sms", json={"from": other_phone, "text": "1"}).status_code == 200
    assert (
        http.post(f"{local.url}/local/sms", json={"from": "+4917000000001", "text": "1"}).status_code == 200
    )
    # When "1" arrives from the owner's number, they have claimed it
    assert (
        http.post(f"{local.url}/local/sms", json={"from": desk.phones[owner], "text": "1"}).status_code == 200
    )
    claimed = detail(local, http, admin_headers, inquiry["id"], lambda d: d["claimed_at"])
    assert claimed["assignee"] == owner and claimed["status"] == "assigned"
    assert claimed["sla"]["responded"] is False  # a claim confirms the owner, the clock runs on
    resolve(local, http, admin_headers, inquiry["id"])


def test_sms_reply_2_passes_the_inquiry_on_at_once(local, http, admin_headers, desk):
    # Given an inquiry whose owner got the notification SMS (an answer can only follow it)
    _, message_id = whatsapp(local, http, f"Hallo {desk.word}")
    inquiry = routed(local, http, admin_headers, message_id)
    owner = inquiry["assignee"]
    other = next(a for a in desk.agents if a != owner)
    eventually(lambda: [n for n in notices(local, http, inquiry["id"]) if n["protocol"] == "sms"], timeout=10)
    # When the owner answers "2", the inquiry goes to the other agent at once
    assert (
        http.post(f"{local.url}/local/sms", json={"from": desk.phones[owner], "text": "2"}).status_code == 200
    )
    moved = detail(local, http, admin_headers, inquiry["id"], lambda d: d["assignee"] == other)
    assert moved["status"] == "assigned"
    resolve(local, http, admin_headers, inquiry["id"])


@pytest.mark.sla_minutes(10)
def test_transfer_path_the_execution_follows_the_new_owner(local, http, admin_headers, desk):
    # Given an unanswered inquiry with a ten-minute SLA (ten seconds here), owned by one agent of the desk
    _, message_id = whatsapp(local, http, f"Hallo {desk.word}, eine Frage")
    inquiry = routed(local, http, admin_headers, message_id)
    owner = inquiry["assignee"]
    other = next(a for a in desk.agents if a != owner)
    # When the owner hands it over to the other agent with a note before the warning
    moved = http.post(
        f"{local.url}/api/inquiries/{inquiry['id']}/transfer",
        json={"to_agent": other, "note": "Kunde kennt dich schon"},
        headers=admin_headers,
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["assignee"] == other
    # Then the new owner is told with the note first, and the waiting execution's warning goes to them
    warned = eventually(
        lambda: [n for n in notices(local, http, inquiry["id"]) if n["kind"] == "warning"], timeout=30
    )
    assert {n["recipient"] for n in warned} == {other}
    told = [n["kind"] for n in notices(local, http, inquiry["id"]) if n["recipient"] == other]
    assert told.index("transferred") < told.index("warning")
    seen = detail(local, http, admin_headers, inquiry["id"])
    assert seen["assignee"] == other and seen["transfer"]["note"] == "Kunde kennt dich schon"
    resolve(local, http, admin_headers, inquiry["id"])
