"""The custom metrics the template's alarms watch are emitted where their events happen."""

from __future__ import annotations

import pytest

from kanal.errors import InvalidSignature, NotFound
from kanal.intake.webhook_app import Request, WebhookApp
from kanal.observability import metrics
from kanal_local.template import load_template

ALARMS = {
    logical_id: resource["Properties"]
    for logical_id, resource in load_template()["Resources"].items()
    if resource["Type"] == "AWS::CloudWatch::Alarm"
}


@pytest.fixture
def app():
    app = WebhookApp()

    @app.post("/webhooks/test")
    def refuse(request: Request):
        raise InvalidSignature("signature does not match")

    @app.get("/webhooks/test")
    def missing(request: Request):
        raise NotFound("nothing here")

    metrics.clear_metrics()
    yield app
    metrics.clear_metrics()


def test_a_refused_webhook_signature_counts_the_metric_its_burst_alarm_watches(app):
    props = ALARMS["WebhookSignatureBurstAlarm"]
    assert props["Namespace"] == "Kanal"
    assert props["Dimensions"] == [{"Name": "service", "Value": "kanal"}]
    assert metrics.namespace == "Kanal" and metrics.service == "kanal"

    answer = app.resolve({"httpMethod": "POST", "resource": "/webhooks/test", "body": "{}"})

    assert answer["statusCode"] == 401
    assert metrics.metric_set[props["MetricName"]]["Value"] == [1.0]


def test_other_refusals_are_not_counted_as_signature_failures(app):
    answer = app.resolve({"httpMethod": "GET", "resource": "/webhooks/test"})

    assert answer["statusCode"] == 404
    assert ALARMS["WebhookSignatureBurstAlarm"]["MetricName"] not in metrics.metric_set


def test_a_reply_the_platform_fails_counts_the_metric_its_alarm_watches():
    from kanal.channels.outbound import DeliveryFailed
    from kanal.conversation.replies import ReplyRequest
    from tests.unit.test_conversation_replies import replies

    metrics.clear_metrics()
    sut, *_ = replies(DeliveryFailed("(#100) Invalid parameter", code="100"))
    assert sut.reply("inq-1", "jonas", ReplyRequest("Hello", None))["status"] == "failed"
    assert metrics.metric_set[ALARMS["ReplyFailuresAlarm"]["MetricName"]]["Value"] == [1.0]
    metrics.clear_metrics()


def test_a_delivered_reply_counts_no_failure():
    from kanal.channels.outbound import Sent
    from kanal.conversation.replies import ReplyRequest
    from tests.unit.test_conversation_replies import replies

    metrics.clear_metrics()
    sut, *_ = replies(Sent("m-1"))
    assert sut.reply("inq-1", "jonas", ReplyRequest("Hello", None))["status"] == "sent"
    assert "ReplyFailed" not in metrics.metric_set
