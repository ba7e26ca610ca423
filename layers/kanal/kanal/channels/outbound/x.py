"""The X API v2: a reply under the customer's post, or a direct message.

Calls go to ``{base}/2/...`` (``XBaseUrl``, https://api.x.com) as the company account, with its OAuth 2.0
user-context token from ``x-tokens`` as a Bearer header (both endpoints take OAuth 2.0 Authorization
Code with PKCE user tokens: ``tweet.write`` resp. ``dm.write``).

- Reply: ``POST /2/tweets`` ``{"text", "reply": {"in_reply_to_tweet_id"}}`` -> 201
  ``{"data": {"id", "text", "edit_history_tweet_ids"}}`` (docs.x.com/x-api/posts/create-post).
- DM: ``POST /2/dm_conversations/with/{participant_id}/messages`` ``{"text"}`` -> 201
  ``{"data": {"dm_conversation_id", "dm_event_id"}}`` (docs.x.com/x-api/direct-messages/manage/integrate,
  "One-to-one message"). The DM's echo in the Account Activity API carries ``dm_event_id`` as its id.

Self-serve X apps (pay-per-use) may reply only when the original post's author has "summoned" the
account: @mentioned it, or quoted one of its posts; any other reply is rejected (docs.x.com/x-api/posts/
manage-tweets/integrate, "Post creation restrictions (self-serve)"; changelog 2026-02-23). Enterprise
access is not restricted. With ``KANAL_X_REPLY_POLICY=self-serve`` (the default) such a reply is refused
before sending with ``WindowClosed``, naming the ways that remain: a DM, or quoting the post.

A DM to someone who does not accept DMs from the account is refused with HTTP 403 and error code 349
("You cannot send messages to this user.") or 150 ("You cannot send messages to users who are not
following you.") (developer.x.com/en/support/x-api/error-troubleshooting, error codes): raised as
``DirectMessagesClosed`` so a handover can take another way (e-mail) or say why.

Errors: ``{"title", "detail", "type", "status"}`` (problem details) or ``{"errors": [{"message", "code"}]}``.
429 is retried after ``x-rate-limit-reset`` (epoch seconds; docs.x.com/x-api/fundamentals/rate-limits),
5xx after ``Retry-After`` or with backoff; everything else fails at once.
"""

from __future__ import annotations

from typing import Any

from kanal.channels._common import id_of, obj, text_of
from kanal.channels.outbound import DeliveryFailed, Outbound, Sent, UnsupportedVisibility, WindowClosed
from kanal.channels.outbound.http import Answer, PlatformHttp, Retriable, RetryPolicy, retry_after
from kanal.channels.outbound.tokens import Tokens
from kanal.model import Visibility

SELF_SERVE = "self-serve"
ENTERPRISE = "enterprise"
POLICIES = (SELF_SERVE, ENTERPRISE)

# What an agent can do instead of a reply a self-serve app may not send (the API's 409 options).
DM = "dm"
QUOTE = "quote"

DM_CLOSED_CODES = frozenset({"349", "150"})  # the recipient does not accept DMs from the account


class DirectMessagesClosed(DeliveryFailed):
    """X refused a DM because its recipient does not accept DMs from the company's account."""


NOT_SUMMONED = (
    "X lets a self-serve app reply only to a post whose author @mentioned the company's account or quoted "
    "one of its posts; this post does neither"
)


def classify(answer: Answer, now: float) -> None:
    """Raise for an X error answer: DeliveryFailed, or Retriable for 429 and 5xx."""
    if 200 <= answer.status < 300 and isinstance(answer.body.get("data"), dict):
        return
    body = answer.body
    errors = body.get("errors")
    first = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], dict) else {}
    problem = text_of(body.get("type")) or text_of(first.get("type"))
    code = id_of(first.get("code"))
    label = problem.rsplit("/", 1)[-1] if problem else code or f"http-{answer.status}"
    detail = (
        text_of(body.get("detail"))
        or text_of(body.get("title"))
        or text_of(first.get("message"))
        or text_of(first.get("detail"))
        or f"HTTP {answer.status}"
    )
    message = f"X API error {answer.status} ({label}): {detail}"
    kind = problem or None
    code_label = f"http-{answer.status}:{label}"
    if answer.status == 429:
        reset = _reset_in(answer.headers, now)
        if reset is not None:
            message += f"; the rate limit resets in {round(reset)} s"
        failure = DeliveryFailed(message, code=code_label, retriable=True, error_type=kind)
        raise Retriable(failure, reset if reset is not None else retry_after(answer.headers, now))
    if answer.status >= 500:
        failure = DeliveryFailed(message, code=code_label, retriable=True, error_type=kind)
        raise Retriable(failure, retry_after(answer.headers, now))
    if answer.status == 403 and code in DM_CLOSED_CODES:
        raise DirectMessagesClosed(message, code=code_label, retriable=False, error_type=kind)
    raise DeliveryFailed(message, code=code_label, retriable=False, error_type=kind)


def _reset_in(headers: Any, now: float) -> float | None:
    raw = headers.get("x-rate-limit-reset") if headers else None
    try:
        return max(0.0, float(raw) - now) if raw else None
    except ValueError:
        return None


class XApi:
    def __init__(self, base_url: str, tokens: Tokens, http: PlatformHttp) -> None:
        self.base_url = base_url.rstrip("/")
        self.tokens = tokens
        self.http = http

    @classmethod
    def build(cls, base_url: str, tokens: Tokens, policy: RetryPolicy | None = None) -> XApi:
        return cls(base_url, tokens, PlatformHttp("x", classify, policy))

    def post(self, operation: str, account_id: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        answer = self.http.request(
            operation, "POST", f"{self.base_url}/{path}", self.tokens(account_id), json=body
        )
        return obj(answer, "data")


class XClient:
    def __init__(self, api: XApi, reply_policy: str = SELF_SERVE) -> None:
        if reply_policy not in POLICIES:
            raise ValueError(f"reply_policy must be one of {POLICIES}")
        self.api = api
        self.reply_policy = reply_policy

    def send(self, outbound: Outbound) -> Sent:
        if outbound.visibility is Visibility.PRIVATE:
            return self._direct_message(outbound)
        answering = outbound.answering
        if answering.visibility is Visibility.PRIVATE:
            raise UnsupportedVisibility("a direct message on X is answered privately")
        if self.reply_policy == SELF_SERVE and not answering.mentions_account:
            raise WindowClosed(NOT_SUMMONED, [DM, QUOTE])
        data = self.api.post(
            "x.reply",
            outbound.inquiry.account_id,
            "2/tweets",
            {"text": outbound.text, "reply": {"in_reply_to_tweet_id": answering.external_id}},
        )
        tweet_id = id_of(data.get("id"))
        if tweet_id is None:
            raise DeliveryFailed("the X API answered without the new post's id", code="no_id")
        return Sent(tweet_id)

    def _direct_message(self, outbound: Outbound) -> Sent:
        customer = outbound.answering.author.id
        data = self.api.post(
            "x.dm",
            outbound.inquiry.account_id,
            f"2/dm_conversations/with/{customer}/messages",
            {"text": outbound.text},
        )
        event_id = id_of(data.get("dm_event_id"))
        if event_id is None:
            raise DeliveryFailed("the X API answered without the DM's event id", code="no_id")
        conversation = id_of(data.get("dm_conversation_id"))
        return Sent(event_id, customer, {"dm_conversation_id": conversation} if conversation else {})
