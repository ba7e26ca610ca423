"""E-mail via SES: find the stored message from the receipt notification, parse the raw MIME message."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest

from kanal.channels.email import html_to_text, locate_ses_object, parse_email
from kanal.errors import MalformedPayload
from kanal.intake.email import sender_verified, ses_records
from kanal.model import Action, Channel, Visibility

EVENTS = Path(__file__).resolve().parents[1] / "events" / "ses"
RECEIVED = datetime(2024, 4, 26, 6, 5, tzinfo=UTC)
ROOT_ID = "9f1c2b7e-4d3a-4a51-8f0e-3b9c6a1d2e77@example.de"


def notification() -> dict:
    return json.loads((EVENTS / "receipt_notification.json").read_text(encoding="utf-8"))


def test_locate_the_object_from_the_ses_notification() -> None:
    assert locate_ses_object(notification()) == (
        "kanal-inbound-mail-123456789012",
        "inbound/o3vrnil0e2ic28trm7dfhrc2v0clambda4nbp0g1",
    )


def test_locate_the_object_from_the_sns_envelope() -> None:
    envelope = {
        "Type": "Notification",
        "TopicArn": "arn:aws:sns:eu-central-1:123456789012:kanal-inbound-email",
        "Message": json.dumps(notification()),
    }
    assert locate_ses_object(envelope)[0] == "kanal-inbound-mail-123456789012"


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"notificationType": "Bounce"}, "notificationType"),
        ({"receipt": {"action": {"type": "SNS", "topicArn": "arn:aws:sns:eu-central-1:1:t"}}}, "S3"),
        ({"receipt": {"action": {"type": "S3", "bucketName": "b"}}}, "objectKey"),
    ],
)
def test_locate_rejects_other_notifications(change: dict, problem: str) -> None:
    with pytest.raises(MalformedPayload, match=problem):
        locate_ses_object(notification() | change)


def test_locate_rejects_an_sns_message_that_is_not_json() -> None:
    with pytest.raises(MalformedPayload):
        locate_ses_object({"Type": "Notification", "Message": "not json"})


def test_first_mail_prefers_the_plain_text_part() -> None:
    message = parse_email((EVENTS / "inquiry.eml").read_bytes(), RECEIVED, mailbox="Service@Velora-Bikes.de")
    assert message.channel is Channel.EMAIL and message.visibility is Visibility.PRIVATE
    assert message.external_id == ROOT_ID and message.thread_id == ROOT_ID
    assert message.in_reply_to is None and message.action is Action.CREATE and message.own is False
    assert message.author.id == "anna.becker@example.de" and message.author.handle == "anna.becker@example.de"
    assert message.author.name == "Anna Becker"
    assert message.subject == "Reparaturauftrag 55-1043 \u2013 noch keine Rückmeldung"
    assert (
        message.text.startswith("Guten Tag,")
        and "Rückmeldung bekommen" in message.text
        and "<p>" not in message.text
    )
    assert message.account_id == "service@velora-bikes.de" and message.language == "de"
    assert message.created_at == datetime(2024, 4, 25, 10, 12, 30, tzinfo=UTC)
    assert message.received_at == RECEIVED


def test_reply_threads_on_the_first_reference_and_falls_back_to_html() -> None:
    message = parse_email((EVENTS / "reply.eml").read_bytes(), RECEIVED)
    assert message.external_id == "c0d4e5f6-1a2b-4c3d-9e8f-7a6b5c4d3e21@example.de"
    assert message.thread_id == ROOT_ID
    assert message.in_reply_to == "20240425-reply-7731@velora-bikes.de"
    assert message.subject.startswith("AW: ")
    assert "danke für die schnelle Antwort" in message.text
    assert "Wir melden uns morgen" not in message.text  # the quoted mail is dropped
    assert "<" not in message.text and "&uuml;" not in message.text
    assert [item.type for item in message.attachments] == ["image/jpeg"]
    assert message.account_id == "service@velora-bikes.de"  # from To, without a mailbox


def build(**headers: str) -> bytes:
    message = EmailMessage()
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(
        "Hello, my order 48213 has not arrived. Could you please check?\n\n> old quoted line\n"
    )
    return bytes(message)


def test_in_reply_to_is_the_thread_when_there_are_no_references() -> None:
    raw = build(
        From="James Carter <James.Carter@example.co.uk>",
        To="service@velora-bikes.de",
        Subject="Order 48213",
        Message_ID="<m2@example.co.uk>",
        In_Reply_To="<m1@velora-bikes.de>",
    )
    message = parse_email(raw, RECEIVED)
    assert message.thread_id == "m1@velora-bikes.de" and message.in_reply_to == "m1@velora-bikes.de"
    assert message.author.id == "james.carter@example.co.uk" and message.language == "en"
    assert "old quoted line" not in message.text


def test_a_mail_without_message_id_gets_a_stable_one() -> None:
    raw = build(From="james.carter@example.co.uk", To="service@velora-bikes.de", Subject="Hi")
    first, second = parse_email(raw, RECEIVED), parse_email(raw, RECEIVED)
    assert first.external_id == second.external_id and first.external_id.startswith("sha256:")
    assert first.thread_id == first.external_id and first.created_at == RECEIVED
    assert first.author.name is None


def test_a_copy_of_the_companys_own_mail_is_own() -> None:
    raw = build(
        From="Velora Service <service@velora-bikes.de>",
        To="james.carter@example.co.uk",
        Message_ID="<o1@velora-bikes.de>",
    )
    assert parse_email(raw, RECEIVED, mailbox="service@velora-bikes.de").own is True


def test_a_mail_without_sender_is_malformed() -> None:
    with pytest.raises(MalformedPayload, match="From"):
        parse_email(b"To: service@velora-bikes.de\r\nSubject: x\r\n\r\nbody\r\n", RECEIVED)


def test_html_to_text_drops_markup_scripts_and_quotes() -> None:
    markup = (
        "<html><head><title>t</title><script>var x=1;</script></head><body><p>Hallo&nbsp;Team,</p>"
        "<div>Zeile&nbsp;2 &amp; mehr</div><blockquote>alt</blockquote></body></html>"
    )
    assert html_to_text(markup) == "Hallo Team,\n\nZeile 2 & mehr"


# -- whether SES's verdicts vouch for the sender ----------------------------------------------------


def test_the_receipt_notifications_record_says_the_sender_is_verified() -> None:
    [record] = ses_records(notification())
    assert record["sender_verified"] is True


def test_a_spoofed_mail_s_record_says_the_sender_is_not_verified() -> None:
    spoofed = json.loads((EVENTS / "receipt_notification_spoofed.json").read_text(encoding="utf-8"))
    assert spoofed["mail"]["commonHeaders"]["from"] == ["Anna Becker <anna.becker@example.de>"]
    [record] = ses_records(spoofed)
    assert record["sender_verified"] is False


STATUSES = ("PASS", "FAIL", "GRAY", "PROCESSING_FAILED", None)


@pytest.mark.parametrize("dmarc", STATUSES)
@pytest.mark.parametrize("dkim", STATUSES)
@pytest.mark.parametrize("spf", STATUSES)
def test_the_sender_is_verified_only_when_dmarc_did_not_fail_and_spf_or_dkim_passed(spf, dkim, dmarc) -> None:
    receipt = {
        name: {"status": status}
        for name, status in (("spfVerdict", spf), ("dkimVerdict", dkim), ("dmarcVerdict", dmarc))
        if status is not None
    }
    expected = dmarc != "FAIL" and "PASS" in (spf, dkim)
    assert sender_verified(receipt) is expected


@pytest.mark.parametrize("verdict", [{"status": "pass"}, {"status": ["PASS"]}, "PASS", None, {}])
def test_a_verdict_not_in_ses_s_form_is_no_pass(verdict) -> None:
    assert (
        sender_verified({"spfVerdict": verdict, "dkimVerdict": verdict, "dmarcVerdict": {"status": "GRAY"}})
        is False
    )


def test_the_parsed_message_carries_whether_its_sender_is_verified() -> None:
    raw = (EVENTS / "inquiry.eml").read_bytes()
    assert parse_email(raw, RECEIVED).sender_verified is True
    assert parse_email(raw, RECEIVED, sender_verified=False).sender_verified is False
