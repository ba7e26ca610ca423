"""Each custom metric a template alarm watches is counted when its event happens on the local stack.

Locally metrics are off (no CloudWatch reads the EMF lines), so the handlers' calls to `add_metric` of the
one `kanal.observability.metrics` are recorded instead; the alarm's namespace and dimensions are those
every Kanal metric carries.
"""

from __future__ import annotations

import threading

import pytest

from kanal.observability import metrics
from kanal_local.template import load_template
from tests.conftest import eventually
from tests.integration.deliveries import Ids, deliver, fixture
from tests.integration.test_routing_paths import detail, resolve, routed, whatsapp

WATCHED = {}
for _resource in load_template()["Resources"].values():
    if _resource["Type"] != "AWS::CloudWatch::Alarm":
        continue
    _props = _resource["Properties"]
    _metrics = [m["MetricStat"]["Metric"] for m in _props.get("Metrics", []) if "MetricStat" in m] or [_props]
    for _metric in _metrics:
        if _metric["Namespace"] == "Kanal":
            WATCHED[_metric["MetricName"]] = _metric["Dimensions"]


@pytest.fixture
def counted(monkeypatch):
    seen: list[str] = []
    lock = threading.Lock()
    add = metrics.add_metric

    def record(name, unit, value, *args, **kwargs):
        with lock:
            seen.append(name)
        return add(name, unit, value, *args, **kwargs)

    monkeypatch.setattr(metrics, "add_metric", record)
    return seen


def test_every_custom_metric_an_alarm_watches_is_kanals_with_the_service_dimension_only():
    assert set(WATCHED) == {"WebhookSignatureRejected", "ReplyFailed", "SlaBreached", "AnsweredInTime"}
    assert metrics.namespace == "Kanal"
    for name, dimensions in WATCHED.items():
        assert dimensions == [{"Name": "service", "Value": metrics.service}], name


def test_a_webhook_refused_for_its_signature_counts_webhook_signature_rejected(local, http, counted):
    delivery = fixture("meta/messenger_text.json", Ids())
    response = deliver(http, local, "meta", delivery, headers={"Content-Type": "application/json"})
    assert response.status_code == 401
    assert "WebhookSignatureRejected" in counted


def test_an_inquiry_answered_in_time_counts_answered_in_time_and_no_breach(
    local, http, admin_headers, desk, counted
):
    from kanal.routing.wiring import events

    _, message_id = whatsapp(local, http, f"Eine Frage zu {desk.word}")
    inquiry = routed(local, http, admin_headers, message_id)
    events().responded(inquiry["id"])
    assert "AnsweredInTime" in counted and "SlaBreached" not in counted
    resolve(local, http, admin_headers, inquiry["id"])


@pytest.mark.sla_minutes(3)
def test_an_inquiry_nobody_answers_counts_one_breach(local, http, admin_headers, desk, counted):
    _, message_id = whatsapp(local, http, f"Hallo {desk.word}, noch jemand da?")
    inquiry = routed(local, http, admin_headers, message_id)
    detail(local, http, admin_headers, inquiry["id"], lambda d: d["sla"]["breached"], timeout=40)
    eventually(lambda: "SlaBreached" in counted, timeout=10)
    resolve(local, http, admin_headers, inquiry["id"])
    assert counted.count("SlaBreached") == 1
