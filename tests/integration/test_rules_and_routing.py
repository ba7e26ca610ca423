"""Priority on the running stack: rules in Parameter Store, scored inquiries, SLA timeouts that escalate."""

from __future__ import annotations

import copy
import json
import uuid

from tests import tokens
from tests.conftest import eventually, load_event
from tests.signing import sign_meta


def post_meta(local, http, event) -> None:
    body = json.dumps(event).encode()
    response = http.post(
        f"{local.url}/webhooks/meta",
        data=body,
        headers={"X-Hub-Signature-256": sign_meta(body, "local-meta-app-secret")},
    )
    assert response.status_code == 200, response.text


def inquiry_of(local, http, headers, channel: str, external_id: str, scored: bool = True) -> dict:
    table = local.stack.environment["KANAL_MESSAGES_TABLE"]
    dynamodb = local.stack.client("dynamodb")
    item = eventually(
        lambda: dynamodb.get_item(TableName=table, Key={"key": {"S": f"{channel}#{external_id}"}}).get(
            "Item"
        ),
        timeout=20,
    )

    def fetched():
        found = http.get(f"{local.url}/api/inquiries/{item['inquiry_id']['S']}", headers=headers).json()
        return found if found.get("priority") or not scored else None

    return eventually(fetched, timeout=20)


def test_a_delivered_comment_is_listed_with_score_band_due_time_and_reasons(local, http, admin_headers):
    # Given an angry public comment asking for a refund
    event = load_event("meta/page_feed_comment_add.json")
    value = event["entry"][0]["changes"][0]["value"]
    value["comment_id"] = f"{uuid.uuid4().int % 10**15}_{uuid.uuid4().int % 10**15}"
    value["from"]["id"] = str(uuid.uuid4().int % 10**15)
    value["message"] = "Das Rad ist kaputt und niemand hilft mir. Ich will mein Geld zurück, sofort!"
    # When Meta delivers it
    post_meta(local, http, event)
    # Then its inquiry carries the score, band, due time and the reasons, with the rules version
    inquiry = inquiry_of(local, http, admin_headers, "facebook", value["comment_id"])
    priority = inquiry["priority"]
    assert priority["score"] >= 35 and priority["band"] in {"P1", "P2", "P3"}
    assert inquiry["sla_due_at"] > inquiry["received_at"]
    assert {("content.service", "kaputt, Geld zurück"), ("content.urgent", "sofort")} <= {
        (r["rule"], r["matched"]) for r in priority["reasons"]
    }
    assert all(value["message"] not in r["matched"] for r in priority["reasons"])
    rules_version = http.get(f"{local.url}/api/rules", headers=admin_headers).json()["version"]
    assert priority["rules_version"] == rules_version


def test_only_admins_read_or_change_the_rules(local, http):
    agent = tokens.bearer("jonas", ["agents"])
    assert http.get(f"{local.url}/api/rules", headers=agent).status_code == 403
    assert http.put(f"{local.url}/api/rules", json={"version": "x"}, headers=agent).status_code == 403
    assert http.get(f"{local.url}/api/rules").status_code == 401


def test_an_invalid_rules_document_is_refused_with_every_error_and_changes_nothing(
    local, http, admin_headers, rules
):
    # Given a document with a wrong type, an unknown rule, a negative weight and a bad regex
    broken = copy.deepcopy(rules["document"])
    broken["version"] = "broken-1"
    broken["bands"] = "high"
    broken["rules"] += [
        {"type": "astrology", "weight": 10},
        {"id": "neg", "type": "content", "weight": -5, "terms": {"en": ["help"]}},
        {"id": "rx", "type": "content", "weight": 5, "patterns": ["(unclosed"]},
    ]
    # When an admin stores it
    response = http.put(f"{local.url}/api/rules", json=broken, headers=admin_headers)
    # Then it is refused with all four problems listed, and the running rules stay as they were
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert len(errors) >= 4
    joined = " ".join(errors)
    for fragment in ("bands", "astrology", "weight", "regex"):
        assert fragment in joined.lower(), (fragment, errors)
    assert http.get(f"{local.url}/api/rules", headers=admin_headers).json() == rules


def test_malformed_json_and_a_reused_version_are_refused(local, http, admin_headers, rules):
    assert http.put(f"{local.url}/api/rules", data=b"{not json", headers=admin_headers).status_code == 400
    changed = copy.deepcopy(rules["document"])
    changed["bands"]["P1"] = changed["bands"]["P1"] - 1
    response = http.put(f"{local.url}/api/rules", json=changed, headers=admin_headers)
    assert response.status_code == 409, response.text
    assert http.get(f"{local.url}/api/rules", headers=admin_headers).json() == rules


def test_a_new_rules_version_scores_the_next_inquiry(local, http, admin_headers, rules):
    # Given rules under which "parcel" is a critical word
    document = copy.deepcopy(rules["document"])
    document["version"] = f"parcel-{uuid.uuid4().hex[:6]}"
    document["rules"].append(
        {"id": "parcel", "type": "content", "weight": 90, "min_band": "P1", "terms": {"en": ["parcel"]}}
    )
    assert http.put(f"{local.url}/api/rules", json=document, headers=admin_headers).status_code == 200
    # When a message mentioning it arrives
    event = load_event("meta/messenger_text.json")
    messaging = event["entry"][0]["messaging"][0]
    messaging["message"]["mid"] = f"m_{uuid.uuid4().hex}"
    messaging["sender"]["id"] = str(uuid.uuid4().int % 10**15)
    messaging["message"]["text"] = "Where is my parcel?"
    post_meta(local, http, event)
    # Then the new version scored it
    inquiry = inquiry_of(local, http, admin_headers, "messenger", messaging["message"]["mid"])
    assert inquiry["priority"]["rules_version"] == document["version"]
    assert inquiry["priority"]["band"] == "P1"
    assert ("parcel", "parcel") in {(r["rule"], r["matched"]) for r in inquiry["priority"]["reasons"]}


def test_a_missed_first_response_deadline_takes_the_timeout_catch_and_escalates(
    local, http, admin_headers, rules
):
    # Given rules that give WhatsApp no time at all for a first response, around the clock
    document = copy.deepcopy(rules["document"])
    document["version"] = f"instant-{uuid.uuid4().hex[:6]}"
    document["default_calendar"] = "round-the-clock"
    for rule in document["rules"]:
        if rule["type"] == "channel":
            rule["sla_minutes"]["whatsapp"] = {"P1": 0, "P2": 0, "P3": 0, "P4": 0}
    assert http.put(f"{local.url}/api/rules", json=document, headers=admin_headers).status_code == 200
    # When a WhatsApp message arrives and nobody answers
    event = load_event("meta/whatsapp_text.json")
    message = event["entry"][0]["changes"][0]["value"]["messages"][0]
    message["id"] = f"wamid.{uuid.uuid4().hex}"
    post_meta(local, http, event)
    inquiry = inquiry_of(local, http, admin_headers, "whatsapp", message["id"])
    # Then the wait for the first response times out, and the Catch takes it to the deadline task
    stepfunctions = local.stack.client("stepfunctions")
    machine = local.stack.outputs["RoutingStateMachineArn"]
    execution = f"{machine.replace(':stateMachine:', ':execution:')}:{inquiry['id']}"

    def escalated():
        events = stepfunctions.get_execution_history(executionArn=execution)["events"]
        entered = [e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e]
        return "Deadline" in entered and any(e["type"] == "TaskTimedOut" for e in events) and entered

    entered = eventually(escalated, timeout=30, interval=0.5)
    assert entered[:3] == ["Route", "Await", "Deadline"]
    # and the detail names the escalation tier that fired
    detail = eventually(
        lambda: (
            (d := http.get(f"{local.url}/api/inquiries/{inquiry['id']}", headers=admin_headers).json())[
                "escalations"
            ]
            and d
        ),
        timeout=15,
    )
    assert detail["escalations"][0]["tier"] == 1 and detail["sla"]["tier"] >= 1


def test_a_hotline_call_then_a_whatsapp_message_from_that_number_counts_as_a_repeat_contact(
    local, http, admin_headers
):
    from datetime import UTC, datetime, timedelta

    from tests.signing import contact_events_headers

    # Given the hotline reports a call from +49 151 ... two hours ago
    number = f"49151{uuid.uuid4().int % 10**8:08d}"
    call = {
        "event_id": f"call-{uuid.uuid4().hex}",
        "kind": "call",
        "occurred_at": (datetime.now(UTC) - timedelta(hours=2)).isoformat(),
        "customer": {"channel": "phone", "identity": f"+{number[:2]} {number[2:5]} {number[5:]}"},
        "source": "hotline",
    }
    body = json.dumps(call).encode()
    posted = http.post(
        f"{local.url}/webhooks/contact-events",
        data=body,
        headers=contact_events_headers(body, "local-contact-events-secret"),
    )
    assert posted.status_code == 200
    # When the same number writes on WhatsApp
    event = load_event("meta/whatsapp_text.json")
    value = event["entry"][0]["changes"][0]["value"]
    value["contacts"][0]["wa_id"] = number
    message = value["messages"][0]
    message["from"], message["id"] = number, f"wamid.{uuid.uuid4().hex}"
    post_meta(local, http, event)
    # Then the inquiry's priority names the earlier call as a repeat contact
    inquiry = inquiry_of(local, http, admin_headers, "whatsapp", message["id"])
    repeat = [r for r in inquiry["priority"]["reasons"] if r["rule"] == "repeat_contact"]
    assert repeat and "call" in repeat[0]["matched"], inquiry["priority"]["reasons"]
