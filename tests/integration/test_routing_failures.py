"""The routing state machine's failure case, on the embedded stack: a task that fails every retry.

The in-process routing function's ``route`` task is made to raise for one inquiry (its text names a word
only this test uses); every other inquiry routes as before.
"""

from __future__ import annotations

import uuid

from tests.conftest import eventually
from tests.integration.test_routing_paths import detail, execution_status, history, notices, whatsapp
from tests.integration.test_rules_and_routing import inquiry_of


def test_task_failure_path_queues_the_inquiry_flags_it_and_tells_ops(local, http, admin_headers, monkeypatch):
    from kanal.routing.tasks import Tasks

    word = f"kaputt{uuid.uuid4().hex[:8]}"
    route = Tasks.route

    def failing(self, inquiry_id, now=None):
        if word in self.assigner.inquiry(inquiry_id).text:
            raise RuntimeError(f"table unavailable for {inquiry_id}")
        return route(self, inquiry_id, now)

    monkeypatch.setattr(Tasks, "route", failing)
    # Given an inquiry whose routing task fails on every attempt
    _, message_id = whatsapp(local, http, f"Hallo, {word}")
    first = inquiry_of(local, http, admin_headers, "whatsapp", message_id, scored=False)
    # When its retries are spent
    eventually(lambda: execution_status(local, first["id"]) == "FAILED", timeout=40, interval=0.2)
    # Then the inquiry is queued, flagged with the error's name and the failed state, and ops were told
    inquiry = detail(local, http, admin_headers, first["id"])
    assert inquiry["status"] == "queued" and inquiry["team"]
    assert inquiry["routing_failure"]["error"] == "RuntimeError"
    assert inquiry["routing_failure"]["state"] == "Route" and inquiry["routing_failure"]["at"]
    queue = http.get(
        f"{local.url}/api/inquiries",
        params={"team": inquiry["team"], "status": "queued", "limit": 100},
        headers=admin_headers,
    ).json()["items"]
    assert [i["routing_failure"] for i in queue if i["id"] == first["id"]] == [inquiry["routing_failure"]]
    sent = notices(local, http, first["id"])
    assert {(n["kind"], n["recipient"]) for n in sent} == {("routing_failed", "ops")}
    for notice in sent:  # no message text, no error message
        assert word not in notice["text"] and "unavailable" not in notice["text"]
    entered = [
        e["stateEnteredEventDetails"]["name"]
        for e in history(local, first["id"])
        if "stateEnteredEventDetails" in e
    ]
    assert entered == ["Route", "RouteFailed", "RoutingFailed", "Failed"]
