"""`kanal local`: the embedded stack, its HTTP gateway and the local-only routes, in one process."""

from __future__ import annotations

import email
import email.policy
import gc
import json
import logging
import os
import threading
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from kanal_local import auth, console, sandbox, sms
from kanal_local.gateway import Gateway, Route
from kanal_local.metrics import MetricsSink
from kanal_local.runtime import Collector, Foreground
from kanal_local.sandbox import ChannelSandbox
from kanal_local.stack import LocalStack

log = logging.getLogger("kanal.local")

DEFAULT_PORT = 8787

# Local values of the platform secrets (the environment wins); the stack stores them in its Secrets Manager.
LOCAL_SECRETS = {
    "meta-app-secret": ("KANAL_META_APP_SECRET", "local-meta-app-secret"),
    "meta-verify-token": ("KANAL_META_VERIFY_TOKEN", "local-meta-verify-token"),
    "x-consumer-secret": ("KANAL_X_CONSUMER_SECRET", "local-x-consumer-secret"),
    "contact-events-secret": ("KANAL_CONTACT_EVENTS_SECRET", "local-contact-events-secret"),
    # every Page, Instagram account, WhatsApp number and X account a delivery names is served ("*")
    "meta-page-tokens": ("KANAL_META_PAGE_TOKENS", '{"*": "local-meta-page-token"}'),
    "x-tokens": ("KANAL_X_TOKENS", '{"*": "local-x-token"}'),
}

# The company's mail domain on the local stack: SES may send from any address in it (and from every
# address a mail was received for, see receive_email).
LOCAL_MAIL_DOMAIN = "kanal.local"


def local_secret(name: str) -> str:
    variable, default = LOCAL_SECRETS[name]
    return os.environ.get(variable) or default


def _json(status: int, body: Any) -> Response:
    return Response(json.dumps(body, default=str), status=status, content_type="application/json")


@dataclass
class LocalServer:
    stack: LocalStack = field(default_factory=LocalStack)
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    _server: BaseWSGIServer | None = None
    _thread: threading.Thread | None = None
    _collector: Collector | None = None
    ready: threading.Event = field(default_factory=threading.Event)
    sandbox: ChannelSandbox = field(default_factory=ChannelSandbox)
    metrics: MetricsSink = field(default_factory=MetricsSink)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> LocalServer:
        # Listen first, so the stack's parameters can name the server's own URL (port 0: a free one):
        # the console link and the channel sandbox the functions send replies to. Until the stack is
        # deployed every request is answered 503.
        self._server = make_server(
            self.host,
            self.port,
            _not_ready,
            threaded=True,
            request_handler=_request_handler(self.stack.dispatcher.foreground),
        )
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self.port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, name="gateway", daemon=True)
        self._thread.start()
        self.stack.parameters.setdefault("ConsoleUrl", self.url)
        self.stack.parameters.setdefault("GraphBaseUrl", f"{self.url}/sandbox/graph/{graph_version()}")
        self.stack.parameters.setdefault("XBaseUrl", f"{self.url}/sandbox/x")
        try:
            self.stack.start()
            self._seed_secrets()
            self._seed_mail_identity()
            self._seed_rules()
            self._seed_organisation()
        except Exception:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
            raise
        self.gateway = Gateway(self.stack.dispatcher, self.routes(), "local", self.bearer_claims)
        self.gateway.add_local("GET", "/healthz", self._healthz)
        self.gateway.add_local("GET", "/local/notifications", self._notifications)
        self.gateway.add_local("GET", "/local/metrics", self._metrics)
        self.metrics.install()
        self.gateway.add_local("GET", "/local/emails", self._emails)
        self.gateway.add_local("GET", "/local/queued", self._queued)
        self.gateway.add_local("POST", "/local/email", self._receive_email)
        self.gateway.add_local("POST", "/local/sms", self._receive_sms)
        self.gateway.add_local("GET", "/sandbox/outbox", self.sandbox.outbox)
        for method in ("GET", "POST", "DELETE"):
            self.gateway.add_local(method, sandbox.FAULTS, self.sandbox.faults)
        self.gateway.add_local_prefix(sandbox.GRAPH, self.sandbox.handle)
        self.gateway.add_local_prefix(sandbox.X, self.sandbox.handle)
        self.gateway.add_local("GET", "/", console.index)
        self.gateway.add_local("GET", "/config.json", console.local_config)
        self.gateway.add_local("GET", "/local/agents", console.agents)
        self.gateway.add_local("POST", "/local/token", self._token)
        self.gateway.add_local("POST", "/local/token/refresh", self._refresh)
        self.gateway.add_local_prefix(console.ASSETS, console.asset)
        self._server.app = self.gateway
        # What the start built (the emulator's deployed stack, the imported handlers) lives as long as the
        # process: out of the collector's generations, a full collection does not walk it on a request.
        gc.collect()
        gc.freeze()
        self._collector = Collector(self.stack.dispatcher.foreground).start()
        self.ready.set()
        return self

    def routes(self) -> list[Route]:
        assert self.stack.prepared is not None
        return [
            Route.of(method, path, source.logical_id, needs_auth)
            for source in self.stack.prepared.functions.values()
            for method, path, needs_auth in source.api_events
        ]

    def _seed_secrets(self) -> None:
        secrets = self.stack.client("secretsmanager")
        prefix = self.stack.environment.get("KANAL_SECRETS_PREFIX", "kanal")
        for name in LOCAL_SECRETS:
            secrets.create_secret(Name=f"{prefix}/{name}", SecretString=local_secret(name))

    def _seed_mail_identity(self) -> None:
        """The company's mail domain is verified in SES, so replies can be sent from its addresses."""
        self.stack.client("ses").verify_domain_identity(Domain=LOCAL_MAIL_DOMAIN)

    def _seed_rules(self) -> None:
        """Store the shipped default rules, as an admin's first PUT /api/rules would."""
        from kanal.adapters.rules import serialise
        from kanal.priority import default_rules

        self.stack.client("ssm").put_parameter(
            Name=self.stack.environment["KANAL_RULES_PARAMETER"],
            Value=serialise(default_rules().document),
            Type="String",
            Tier="Advanced",
            Overwrite=True,
        )

    def _seed_organisation(self) -> None:
        """Teams, agents (with their notification subscriptions) and on-call ops, from one file."""
        from kanal_local.seed import seed_organisation

        seed_organisation(
            self.stack.outputs["NotificationsTopicArn"], self.stack.region, self.stack.physical("UserPool")
        )

    def bearer_claims(self, request: Request) -> dict[str, Any] | None:
        """The API's Cognito authorizer: a valid ID token of the user pool, or None (401)."""
        header = request.headers.get("Authorization", "")
        if not header.lower().startswith("bearer ") or self.stack.sign_in is None:
            return None
        claims = self.stack.sign_in.verify(header[7:].strip())
        return auth.authorizer_context(claims) if claims else None

    def _token(self, request: Request) -> Response:
        assert self.stack.sign_in is not None
        return console.token(request, self.stack.sign_in)

    def _refresh(self, request: Request) -> Response:
        assert self.stack.sign_in is not None
        return console.refresh(request, self.stack.sign_in)

    def _healthz(self, request: Request) -> Response:
        return _json(200, {"status": "ok", "functions": sorted(self.stack.dispatcher.by_logical_id)})

    def _metrics(self, request: Request) -> Response:
        return _json(200, {"items": self.metrics.items(self.stack)})

    def _notifications(self, request: Request) -> Response:
        return _json(200, {"items": self.stack.notifications.items()})

    def _emails(self, request: Request) -> Response:
        from kanal_local.emails import email_items
        from kanal_local.emulator.needs import sent_emails

        sent = sent_emails(self.stack.account, self.stack.region)
        return _json(200, {"items": email_items(sent, self.stack.region)})

    def _queued(self, request: Request) -> Response:
        """The record keys the ingest queue holds (waiting, delayed or in flight), for the books of
        `kanal load`: what is still queued is not lost. Reading them receives nothing."""
        from kanal_local.dlq import record_of
        from kanal_local.emulator.needs import queued_bodies

        bodies = queued_bodies(self.stack.account, self.stack.region, self.stack.outputs["IngestQueueUrl"])
        keys = Counter(str(record_of(body).get("key")) for body in bodies)
        return _json(200, {"records": len(bodies), "keys": dict(keys)})

    def _receive_email(self, request: Request) -> Response:
        """What SES receiving does with a message: store it in S3, then notify the topic (with the SPF,
        DKIM, DMARC, spam and virus verdicts the query names, PASS unless it says otherwise)."""
        raw = request.get_data()
        if not raw or len(raw) > 10 * 1024 * 1024:
            return _json(400 if not raw else 413, {"error": "send one raw RFC 822 message (at most 10 MiB)"})
        try:
            verdicts = receipt_verdicts(request.args)
        except ValueError as error:
            return _json(400, {"error": str(error)})
        recipient = request.args.get("to", "service@kanal.local")
        return _json(200, receive_email(self.stack, raw, recipient, verdicts))

    def _receive_sms(self, request: Request) -> Response:
        """What two-way SMS does with an SMS to Kanal's number: publish it to the inbound-SMS topic."""
        try:
            sender, text = sms.parse(request.get_data())
        except sms.InvalidSms as error:
            return _json(400, {"error": str(error)})
        message = sms.receive_sms(
            self.stack.client("sns"),
            self.stack.outputs["InboundSmsTopicArn"],
            self.stack.environment["KANAL_SMS_ORIGINATION_NUMBER"],
            self.stack.account,
            self.stack.notifications,
            sender,
            text,
        )
        return _json(200, {"inbound_message_id": message["inboundMessageId"]})

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._collector is not None:
            self._collector.stop()
            self._collector = None
        self.stack.stop()

    def banner(self) -> str:
        lines = [
            f"Kanal local stack on {self.url}",
            f"  console:       {self.url}/  (sign in as any seeded agent)",
        ]
        lines += [f"  health:        {self.url}/healthz"]
        lines += [f"  webhook:       {self.url}{path}  ({method})" for path, method in self._webhook_paths()]
        lines += [f"  agent API:     {self.url}/api  (token: kanal token admin)"]
        lines += [
            f"  sandbox:       {self.url}/sandbox/graph, /sandbox/x  (calls: {self.url}/sandbox/outbox)"
        ]
        lines += [f"  faults:        POST {self.url}/sandbox/faults  (errors on demand)"]
        lines += [f"  local:         {self.url}/local/notifications, /local/emails"]
        lines += ["                 POST /local/email, POST /local/sms"]
        if self.stack.time_scale != 1:
            scale = f"{self.stack.time_scale:g}"
            lines.append(f"  time scale:    {scale}x (SLA, warning and escalation delays {scale}x shorter)")
        for key in (
            "InquiriesTableName",
            "IngestQueueUrl",
            "IngestDeadLetterQueueUrl",
            "NotificationsTopicArn",
            "InboundSmsTopicArn",
            "RoutingStateMachineArn",
        ):
            if key in self.stack.outputs:
                lines.append(f"  {key + ':':<26} {self.stack.outputs[key]}")
        if self.stack.unsupported:
            lines.append(
                "  served locally instead of the emulator: "
                + ", ".join(sorted(set(self.stack.unsupported.values())))
            )
        return "\n".join(lines)

    def _webhook_paths(self) -> list[tuple[str, str]]:
        return sorted({(r.path, r.method) for r in self.routes() if r.path.startswith("/webhooks")})


def _request_handler(foreground: Foreground) -> type[WSGIRequestHandler]:
    """Werkzeug's handler, telling `foreground` from a request's first line to its answer: background
    work yields to every request the local stack serves, its parsing and answering included."""

    class Handler(WSGIRequestHandler):
        started = False

        def parse_request(self) -> bool:
            if not self.started:
                self.started = True
                foreground.begin()
            return bool(super().parse_request())

        def handle_one_request(self) -> None:
            self.started = False
            try:
                super().handle_one_request()
            finally:
                if self.started:
                    foreground.end()

    return Handler


def _not_ready(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """What the server answers while the stack is still starting."""
    start_response("503 Service Unavailable", [("Content-Type", "application/json")])
    return [b'{"status": "starting"}']


def graph_version() -> str:
    """The Graph API version of the template's GraphBaseUrl default (e.g. v26.0): the sandbox serves it."""
    from kanal_local.template import load_template

    default = str(load_template()["Parameters"]["GraphBaseUrl"]["Default"])
    return urlsplit(default).path.strip("/")


# query parameter of POST /local/email -> the receipt's verdict it sets (SES's own field names)
VERDICT_PARAMETERS = {
    "spf": "spfVerdict",
    "dkim": "dkimVerdict",
    "dmarc": "dmarcVerdict",
    "spam": "spamVerdict",
    "virus": "virusVerdict",
}
VERDICT_STATUSES = ("PASS", "FAIL", "GRAY", "PROCESSING_FAILED")
DMARC_POLICIES = ("none", "quarantine", "reject")


def receipt_verdicts(args: Any) -> dict[str, Any]:
    """The receipt's verdict fields as SES writes them, from ``?spf=FAIL&dkim=GRAY&dmarc=FAIL&
    dmarc_policy=reject`` (each verdict PASS unless given; ``dmarcPolicy`` appears when DMARC failed, as
    SES gives it). Raises ValueError naming a parameter whose value SES never gives."""
    receipt: dict[str, Any] = {}
    for parameter, field_name in VERDICT_PARAMETERS.items():
        status = args.get(parameter, "PASS")
        if status not in VERDICT_STATUSES:
            raise ValueError(f"{parameter} must be one of {', '.join(VERDICT_STATUSES)}")
        receipt[field_name] = {"status": status}
    policy = args.get("dmarc_policy", "none")
    if policy not in DMARC_POLICIES:
        raise ValueError(f"dmarc_policy must be one of {', '.join(DMARC_POLICIES)}")
    if receipt["dmarcVerdict"]["status"] == "FAIL":
        receipt["dmarcPolicy"] = policy
    return receipt


def receive_email(
    stack: LocalStack, raw: bytes, recipient: str, verdicts: dict[str, Any] | None = None
) -> dict[str, str]:
    message_id = uuid.uuid4().hex
    # the address mail came to may send the replies (SES verifies identities; locally every one is)
    stack.client("ses").verify_email_identity(EmailAddress=recipient)
    bucket, topic = stack.outputs["InboundMailBucketName"], stack.outputs["InboundMailTopicArn"]
    key = f"inbound/{message_id}"
    stack.client("s3").put_object(Bucket=bucket, Key=key, Body=raw)
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    notification = {
        "notificationType": "Received",
        "mail": {
            "timestamp": now,
            "source": str(parsed.get("From", "")),
            "messageId": message_id,
            "destination": [recipient],
            "headersTruncated": False,
            "commonHeaders": {
                "subject": str(parsed.get("Subject", "")),
                "messageId": str(parsed.get("Message-ID", "")),
            },
        },
        "receipt": {
            "timestamp": now,
            "recipients": [recipient],
            **(verdicts if verdicts is not None else receipt_verdicts({})),
            "action": {
                "type": "S3",
                "topicArn": topic,
                "bucketName": bucket,
                "objectKeyPrefix": "inbound/",
                "objectKey": key,
            },
        },
    }
    stack.client("sns").publish(
        TopicArn=topic, Message=json.dumps(notification), Subject="Amazon SES Email Receipt Notification"
    )
    return {"message_id": message_id, "object_key": key}
