"""Meta's Graph API: replies on Facebook, Messenger, Instagram and WhatsApp, and the @mention lookup.

Every call goes to ``{base}/{path}`` with the account's token from ``meta-page-tokens`` as a Bearer header
and a JSON body; the base URL carries the version (``GraphBaseUrl``, e.g. https://graph.facebook.com/v26.0).

Request shapes, from Meta's documentation:

- Facebook comment reply: ``POST /{comment-id}/comments`` ``{"message"}`` -> ``{"id"}``; a visitor post is
  answered the same way under the post (developers.facebook.com/docs/graph-api/reference/object/comments:
  "comment objects have a /comments edge, called comment replies"). Kanal answers the comment the customer
  wrote; Facebook shows it in that comment's thread.
- Messenger: ``POST /{page-id}/messages`` ``{"recipient": {"id": PSID}, "messaging_type": "RESPONSE" |
  "MESSAGE_TAG", "tag"?: "HUMAN_AGENT", "message": {"text"}}`` -> ``{"recipient_id", "message_id"}``
  (developers.facebook.com/docs/messenger-platform/reference/send-api; message tags:
  .../messenger-platform/send-messages/message-tags).
- Private reply to a Facebook comment or visitor post: the same edge with ``"recipient": {"comment_id"}``
  (or ``{"post_id"}``) (developers.facebook.com/docs/messenger-platform/discovery/private-replies).
- Instagram DM: ``POST /{ig-id}/messages`` with ``recipient.id`` = the IGSID, same windows and tags
  (developers.facebook.com/documentation/instagram-platform/instagram-api-with-instagram-login/
  messaging-api); a private reply to a comment: ``"recipient": {"comment_id"}``.
- Instagram comment reply: ``POST /{ig-comment-id}/replies`` ``{"message"}`` -> ``{"id"}``; "you can only
  reply to top-level comments; replies to a reply will be added to the top-level comment"
  (.../instagram-graph-api/reference/ig-comment/replies).
- Instagram @mention (a comment or caption on someone else's media): ``POST /{ig-user-id}/mentions``
  ``{"media_id", "comment_id"?, "message"}`` -> ``{"id"}`` (.../reference/ig-user/mentions); the comment
  itself is read with ``GET /{ig-user-id}?fields=mentioned_comment.comment_id({id}){fields}``
  (.../reference/ig-user/mentioned_comment), a caption with ``mentioned_media.media_id({id})``
  (.../reference/ig-user/mentioned_media).
- WhatsApp: ``POST /{phone-number-id}/messages`` ``{"messaging_product": "whatsapp", "recipient_type":
  "individual", "to": <phone>, "type": "text", "text": {"body"}, "context": {"message_id": <wamid>}}`` ->
  ``{"messaging_product", "contacts": [{"input", "wa_id"}], "messages": [{"id"}]}``
  (developers.facebook.com/documentation/business-messaging/whatsapp/messages/text-messages and
  .../contextual-replies). A user known only by a business-scoped user id is addressed with
  ``"recipient": <BSUID>`` instead of ``to``; the answer's contact then carries ``user_id``
  (.../whatsapp/business-scoped-user-ids, "Messages API").

Errors come as ``{"error": {"message", "type", "code", "error_subcode", "is_transient", "fbtrace_id"}}``
(developers.facebook.com/docs/graph-api/guides/error-handling). Retried: HTTP 5xx and 429, ``is_transient``
errors, and the throttling codes 4, 17, 32, 613 (docs/graph-api/overview/rate-limiting) plus WhatsApp's
80007, 130429 and 131056 (whatsapp/support/error-codes). Not retried: the closed windows, Messenger
10 / 2018278 ("sent outside of allowed window", messenger-platform/error-codes) and WhatsApp 131047
("re-engagement message"), and every other refusal. A reply to a conversation another app owns (10 /
2018300) is ``ThreadOwnedByOtherApp`` (see ``thread_control``).
"""

from __future__ import annotations

from typing import Any

from kanal.channels._common import id_of, obj, text_of
from kanal.channels.meta import is_bsuid
from kanal.channels.outbound import (
    DeliveryFailed,
    Outbound,
    Sent,
    UnsupportedVisibility,
    WindowClosed,
)
from kanal.channels.outbound.http import Answer, PlatformHttp, Retriable, RetryPolicy, retry_after
from kanal.channels.outbound.thread_control import THREAD_OWNED, ThreadOwnedByOtherApp
from kanal.channels.outbound.tokens import Tokens
from kanal.channels.outbound.windows import Window, messaging_window, private_reply_window, whatsapp_window
from kanal.model import Visibility

THROTTLING = frozenset({4, 17, 32, 613, 80007, 130429, 131056})
WINDOW_CLOSED = frozenset({(10, 2018278), (131047, None)})

MENTIONED_COMMENT_FIELDS = "id,text,timestamp,username,from,media"
MENTIONED_MEDIA_FIELDS = "id,caption,timestamp,username,media_type"


def classify(answer: Answer, now: float) -> None:
    """Raise for a Graph error answer: DeliveryFailed, or Retriable when another attempt may succeed."""
    error = obj(answer.body, "error")
    if 200 <= answer.status < 300 and not error:
        return
    code = _int(error.get("code"))
    subcode = _int(error.get("error_subcode"))
    label = (f"{code}/{subcode}" if subcode else str(code)) if code is not None else f"http-{answer.status}"
    message = f"Graph API error {label}: {text_of(error.get('message')) or f'HTTP {answer.status}'}"
    kind = text_of(error.get("type")) or None
    if (code, subcode) == THREAD_OWNED:
        raise ThreadOwnedByOtherApp(f"Graph API error {label}")
    if (code, subcode) in WINDOW_CLOSED or (code, None) in WINDOW_CLOSED:
        raise DeliveryFailed(message, code=label, retriable=False, error_type=kind)
    if (
        answer.status >= 500
        or answer.status == 429
        or code in THROTTLING
        or error.get("is_transient") is True
    ):
        failure = DeliveryFailed(message, code=label, retriable=True, error_type=kind)
        raise Retriable(failure, retry_after(answer.headers, now))
    raise DeliveryFailed(message, code=label, retriable=False, error_type=kind)


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


class GraphApi:
    """Graph calls as one company account (a Page, an Instagram account, a WhatsApp number)."""

    def __init__(self, base_url: str, tokens: Tokens, http: PlatformHttp) -> None:
        self.base_url = base_url.rstrip("/")
        self.tokens = tokens
        self.http = http

    @classmethod
    def build(cls, base_url: str, tokens: Tokens, policy: RetryPolicy | None = None) -> GraphApi:
        return cls(base_url, tokens, PlatformHttp("graph", classify, policy))

    def post(self, operation: str, account_id: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return self.http.request(
            operation, "POST", f"{self.base_url}/{path}", self.tokens(account_id), json=body
        )

    def get(self, operation: str, account_id: str, path: str, params: dict[str, str]) -> dict[str, Any]:
        return self.http.request(
            operation, "GET", f"{self.base_url}/{path}", self.tokens(account_id), params=params
        )

    def mentioned(self, ig_user_id: str, mention_id: str, on_comment: bool) -> dict[str, Any]:
        """The comment (or caption) in which another user @mentioned the account, as Graph answers it."""
        if on_comment:
            edge = f"mentioned_comment.comment_id({mention_id}){{{MENTIONED_COMMENT_FIELDS}}}"
            key = "mentioned_comment"
        else:
            edge = f"mentioned_media.media_id({mention_id}){{{MENTIONED_MEDIA_FIELDS}}}"
            key = "mentioned_media"
        answer = self.get("instagram.mention_lookup", ig_user_id, ig_user_id, {"fields": edge})
        found = answer.get(key)
        if not isinstance(found, dict):
            raise DeliveryFailed(f"Graph API answered the @mention lookup without {key}", code="no_mention")
        return found


def _first(answer: dict[str, Any], name: str) -> dict[str, Any]:
    """The first object of a list in an answer, or {}."""
    items = answer.get(name)
    first = items[0] if isinstance(items, list) and items else None
    return first if isinstance(first, dict) else {}


def _closed(window: Window) -> WindowClosed:
    return WindowClosed(window.reason or "the channel's window is closed", list(window.options))


def _sent_message(answer: dict[str, Any], details: dict[str, str] | None = None) -> Sent:
    message_id = id_of(answer.get("message_id"))
    if message_id is None:
        raise DeliveryFailed("Graph API answered without a message_id", code="no_id")
    return Sent(message_id, id_of(answer.get("recipient_id")), details or {})


def _sent_comment(answer: dict[str, Any]) -> Sent:
    comment_id = id_of(answer.get("id"))
    if comment_id is None:
        raise DeliveryFailed("Graph API answered without the new comment's id", code="no_id")
    return Sent(comment_id)


def _direct_message(api: GraphApi, channel: str, outbound: Outbound) -> Sent:
    """A DM on Messenger or Instagram inside the 24 h / 7 day windows."""
    window = messaging_window(outbound.last_customer_message_at, outbound.now)
    if not window.open:
        raise _closed(window)
    body: dict[str, Any] = {
        "recipient": {"id": outbound.answering.author.id},
        "messaging_type": window.messaging_type,
        "message": {"text": outbound.text},
    }
    details = {"messaging_type": str(window.messaging_type)}
    if window.tag:
        body["tag"] = window.tag
        details["tag"] = window.tag
    account = outbound.inquiry.account_id
    return _sent_message(api.post(f"{channel}.send", account, f"{account}/messages", body), details)


def _private_reply(api: GraphApi, channel: str, outbound: Outbound, recipient: dict[str, str]) -> Sent:
    """A DM in answer to a public comment or post, within 7 days of it."""
    window = private_reply_window(outbound.answering.created_at, outbound.now)
    if not window.open:
        raise _closed(window)
    account = outbound.inquiry.account_id
    body = {"recipient": recipient, "message": {"text": outbound.text}}
    answer = api.post(f"{channel}.private_reply", account, f"{account}/messages", body)
    return _sent_message(answer, {"private_reply": "true"})


class FacebookClient:
    """Page feed: a public reply under the customer's comment or post, or a private reply to it."""

    def __init__(self, api: GraphApi) -> None:
        self.api = api

    def send(self, outbound: Outbound) -> Sent:
        answering = outbound.answering
        if outbound.visibility is Visibility.PRIVATE:
            # a comment sits under a post (parent_id); a visitor post has none
            key = "comment_id" if answering.parent_id else "post_id"
            return _private_reply(self.api, "facebook", outbound, {key: answering.external_id})
        answer = self.api.post(
            "facebook.comment_reply",
            outbound.inquiry.account_id,
            f"{answering.external_id}/comments",
            {"message": outbound.text},
        )
        return _sent_comment(answer)


class MessengerClient:
    def __init__(self, api: GraphApi) -> None:
        self.api = api

    def send(self, outbound: Outbound) -> Sent:
        if outbound.visibility is not Visibility.PRIVATE:
            raise UnsupportedVisibility("a Messenger conversation is private: answer it privately")
        return _direct_message(self.api, "messenger", outbound)


class InstagramClient:
    """Instagram DMs, comment replies, private replies to comments, and answers to @mentions."""

    def __init__(self, api: GraphApi) -> None:
        self.api = api

    def send(self, outbound: Outbound) -> Sent:
        answering = outbound.answering
        if answering.visibility is Visibility.PRIVATE:
            if outbound.visibility is not Visibility.PRIVATE:
                raise UnsupportedVisibility("an Instagram DM is answered privately")
            return _direct_message(self.api, "instagram", outbound)
        if answering.mentions_account:
            if outbound.visibility is Visibility.PRIVATE:
                raise UnsupportedVisibility(
                    "an @mention on someone else's post can only be answered publicly, under it"
                )
            return self._answer_mention(outbound)
        if outbound.visibility is Visibility.PRIVATE:
            return _private_reply(self.api, "instagram", outbound, {"comment_id": answering.external_id})
        answer = self.api.post(
            "instagram.comment_reply",
            outbound.inquiry.account_id,
            f"{answering.external_id}/replies",
            {"message": outbound.text},
        )
        return _sent_comment(answer)

    def _answer_mention(self, outbound: Outbound) -> Sent:
        answering, account = outbound.answering, outbound.inquiry.account_id
        body: dict[str, Any] = {"message": outbound.text}
        if answering.parent_id:  # a comment on a media: parent_id is the media
            body["media_id"], body["comment_id"] = answering.parent_id, answering.external_id
        else:  # a caption mention: the media itself
            body["media_id"] = answering.external_id
        return _sent_comment(self.api.post("instagram.mention_reply", account, f"{account}/mentions", body))


class WhatsAppClient:
    """A text message quoting the customer's, inside the 24 h customer service window."""

    def __init__(self, api: GraphApi) -> None:
        self.api = api

    def send(self, outbound: Outbound) -> Sent:
        if outbound.visibility is not Visibility.PRIVATE:
            raise UnsupportedVisibility("a WhatsApp chat is private: answer it with visibility private")
        window = whatsapp_window(outbound.last_customer_message_at, outbound.now)
        if not window.open:
            raise _closed(window)
        user = outbound.answering.author.id
        body: dict[str, Any] = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            **({"recipient": user} if is_bsuid(user) else {"to": user}),
            "type": "text",
            "text": {"body": outbound.text},
            "context": {"message_id": outbound.answering.external_id},
        }
        account = outbound.inquiry.account_id
        answer = self.api.post("whatsapp.send", account, f"{account}/messages", body)
        message_id = id_of(_first(answer, "messages").get("id"))
        if message_id is None:
            raise DeliveryFailed("the WhatsApp Cloud API answered without a message id", code="no_id")
        contact = _first(answer, "contacts")
        return Sent(message_id, id_of(contact.get("wa_id")) or id_of(contact.get("user_id")) or user)
