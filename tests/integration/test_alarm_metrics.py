"""Each custom metric a template alarm watches is counted when its event happens on the local stack.

Locally metrics are off (no CloudWatch reads the EMF lines), so the handlers' calls to `add_metric` of the
one `kanal.observability.metrics` are recorded instead; the alarm's namespace and dimensions are those
every Kanal metric carries.
"""

from __future__ import annotations

import json
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
    assert "AnsweredInTime" in _kanal_metrics(local, http)
    resolve(local, http, admin_headers, inquiry["id"])


@pytest.mark.sla_minutes(3)
def test_an_inquiry_nobody_answers_counts_one_breach(local, http, admin_headers, desk, counted):
    _, message_id = whatsapp(local, http, f"Hallo {desk.word}, noch jemand da?")
    inquiry = routed(local, http, admin_headers, message_id)
    detail(local, http, admin_headers, inquiry["id"], lambda d: d["sla"]["breached"], timeout=40)
    eventually(lambda: "SlaBreached" in counted, timeout=10)
    resolve(local, http, admin_headers, inquiry["id"])
    assert counted.count("SlaBreached") == 1
    assert "SlaBreached" in _kanal_metrics(local, http)


def _kanal_metrics(local, http) -> set[str]:
    items = http.get(f"{local.url}/local/metrics").json()["items"]
    return {i["name"] for i in items if i["namespace"] == "Kanal" and i["dimensions"] == {"service": "kanal"}}


def _alarm_metrics(local) -> list[tuple[str, str, dict]]:
    """Each alarm's (namespace, metric, dimensions), the template's references resolved to the local stack."""
    found = []
    for resource in load_template()["Resources"].values():
        if resource["Type"] != "AWS::CloudWatch::Alarm":
            continue
        props = resource["Properties"]
        for metric in [m["MetricStat"]["Metric"] for m in props.get("Metrics", []) if "MetricStat" in m] or [
            props
        ]:
            if metric["Namespace"] == "AWS/ApiGateway":
                continue  # the local gateway is not API Gateway: nothing counts its 5xx
            dims = {}
            for dimension in metric["Dimensions"]:
                value = dimension["Value"]
                if isinstance(value, dict) and "Ref" in value:
                    value = local.stack.physical(value["Ref"])
                elif isinstance(value, dict) and "Fn::GetAtt" in value:
                    value = local.stack.physical(value["Fn::GetAtt"][0]).rsplit("/", 1)[1]
                dims[dimension["Name"]] = value
            found.append((metric["Namespace"], metric["MetricName"], dims))
    return found


def test_local_metrics_lists_the_metric_of_every_lambda_sqs_states_and_kanal_alarm(local, http):
    # Given a refused webhook and a function error, as the alarms watch for
    response = deliver(http, local, "meta", fixture("meta/messenger_text.json", Ids()), headers={})
    assert response.status_code == 401
    _, error = local.stack.dispatcher.invoke("RoutingTaskFunction", {"not": "a task"})
    assert error is not None
    # When the local stack is asked what it would have put into CloudWatch
    items = http.get(f"{local.url}/local/metrics").json()["items"]
    listed = {
        (i["namespace"], i["name"], json.dumps(i["dimensions"], sort_keys=True)): i["value"] for i in items
    }
    # Then every AWS metric an alarm watches is there (the Kanal ones once their events happened, above;
    # ReplyFailed: tests/unit/test_alarm_metrics.py), except the API Gateway's
    for namespace, name, dims in _alarm_metrics(local):
        if namespace == "Kanal":
            continue
        assert (namespace, name, json.dumps(dims, sort_keys=True)) in listed, (namespace, name, dims)
    routing = json.dumps({"FunctionName": local.stack.physical("RoutingTaskFunction")})
    assert listed[("AWS/Lambda", "Errors", routing)] >= 1
    assert listed[("Kanal", "WebhookSignatureRejected", json.dumps({"service": "kanal"}))] >= 1
