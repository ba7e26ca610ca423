"""E-mail replies: threading headers, the subject, the sender, and SES's own Message-ID as the reply's id."""

from __future__ import annotations

from email import message_from_bytes, policy

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from kanal.channels.outbound import DeliveryFailed, UnsupportedVisibility
from kanal.channels.outbound.email import EmailClient, reply_subject, ses_message_id
from kanal.model import Channel, Visibility
from tests.outbound import message, outbound

CUSTOMER = "mareike.schulz@example.org"
MAILBOX = "service@velora.example"


class Ses:
    def __init__(self, error: Exception | None = None) -> None:
        self.calls: list[dict] = []
        self.error = error

    def send_raw_email(self, **kwargs):
        self.calls.append(kwargs)
        if self.error:
            raise self.error
        return {"MessageId": "0107018f1a2b3c4d-5e6f7a8b-0000-4000-8000-000000000000-000000"}


def _reply(**extra):
    answering = message(Channel.EMAIL, "CAF=2@mail.example.org", CUSTOMER, Visibility.PRIVATE)
    return outbound(
        answering,
        MAILBOX,
        email_to=CUSTOMER,
        email_subject="Akku lädt nicht",
        email_references=("root-1@mail.example.org", "0107@eu-central-1.amazonses.com"),
        **extra,
    )


def test_the_reply_is_threaded_and_comes_from_the_address_the_customer_wrote_to():
    ses = Ses()
    sent = EmailClient(ses, "eu-central-1").send(_reply())
    call = ses.calls[0]
    assert call["Source"] == MAILBOX
    mail = message_from_bytes(call["RawMessage"]["Data"], policy=policy.default)
    assert (mail["From"], mail["To"], mail["Subject"]) == (MAILBOX, CUSTOMER, "Re: Akku lädt nicht")
    assert mail["In-Reply-To"] == "<CAF=2@mail.example.org>"
    assert mail["References"] == (
        "<root-1@mail.example.org> <0107@eu-central-1.amazonses.com> <CAF=2@mail.example.org>"
    )
    assert mail["Message-ID"] is None  # SES sets its own
    assert mail.get_content().strip() == "Wir kümmern uns darum!"
    assert (
        sent.external_id
        == "0107018f1a2b3c4d-5e6f7a8b-0000-4000-8000-000000000000-000000@eu-central-1.amazonses.com"
    )


def test_ses_message_ids_name_the_region_except_in_us_east_1():
    assert ses_message_id("abc", "eu-central-1") == "abc@eu-central-1.amazonses.com"
    assert ses_message_id("abc", "us-east-1") == "abc@email.amazonses.com"


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Frage", "Re: Frage"),
        ("Re: Frage", "Re: Frage"),
        ("AW: Frage", "AW: Frage"),
        (None, "Re: your message"),
    ],
)
def test_the_subject_is_prefixed_once(subject, expected):
    assert reply_subject(subject) == expected


def test_an_email_has_no_public_reply():
    with pytest.raises(UnsupportedVisibility):
        EmailClient(Ses(), "eu-central-1").send(_reply(visibility=Visibility.PUBLIC))


def test_an_ses_refusal_fails_with_its_code_and_throttling_is_retriable():
    rejected = ClientError(
        {"Error": {"Code": "MessageRejected", "Message": "Email address is not verified."}}, "x"
    )
    with pytest.raises(DeliveryFailed) as failed:
        EmailClient(Ses(rejected), "eu-central-1").send(_reply())
    assert (failed.value.code, failed.value.retriable) == ("MessageRejected", False)
    throttled = ClientError(
        {"Error": {"Code": "Throttling", "Message": "Maximum sending rate exceeded."}}, "x"
    )
    with pytest.raises(DeliveryFailed) as failed:
        EmailClient(Ses(throttled), "eu-central-1").send(_reply())
    assert failed.value.retriable is True
    unreachable = EndpointConnectionError(endpoint_url="https://email.eu-central-1.amazonaws.com")
    with pytest.raises(DeliveryFailed) as failed:
        EmailClient(Ses(unreachable), "eu-central-1").send(_reply())
    assert (failed.value.code, failed.value.retriable) == ("unreachable", True)
