"""Conversation Routing on Messenger and Instagram: who owns a conversation, and passing it to another app.

Meta gives every Messenger and Instagram conversation one owning app; only the owner may answer
(Conversation Routing replaced the Handover Protocol and keeps its API: developers.facebook.com/
documentation/business-messaging/messenger-platform/conversation-routing; Instagram's Conversation Control
APIs: .../instagram-messaging/features/conversation-routing/apis). The calls, through ``GraphApi`` (the
account's token, the retries of ``http.py``):

- Pass thread control: ``POST /{page-id}/pass_thread_control`` ``{"recipient": {"id": PSID},
  "target_app_id": APP_ID, "metadata"?: "..."}`` -> ``{"success": true}``; the app it is passed to gets a
  ``pass_thread_control`` webhook with the metadata (developers.facebook.com/docs/messenger-platform/
  handover-protocol/pass-thread-control and .../reference/handover-protocol/pass-thread-control). Meta's
  Page Inbox (people answering in Meta Business Suite) is app 263902037430900 (same page: "pass thread
  control to the Page inbox by setting the target_app_id property of the request to 263902037430900").
- Thread owner: ``GET /{page-id}/thread_owner?recipient=PSID`` -> ``{"data": [{"thread_owner":
  {"app_id": "..."}}]}`` (developers.facebook.com/docs/messenger-platform/handover-protocol/
  get-thread-owner; reference: docs/graph-api/reference/page/thread_owner, ``recipient`` "PSID/live_chat_id/
  IGSID"); empty ``data`` when no app owns it.

A reply sent while another app owns the conversation is refused: ``(#10) Message failed to send because
another app is controlling this thread now.`` (code 10, subcode 2018300, reported in
github.com/davidchua/pymessenger/issues/93). ``graph.classify`` raises ``ThreadOwnedByOtherApp`` for it:
not retried, nothing stored as sent, a 409 with the reason and what the agent can do.
"""

from __future__ import annotations

from typing import Any, Protocol

from kanal.channels._common import id_of
from kanal.channels.outbound import DeliveryFailed
from kanal.errors import Conflict

PAGE_INBOX = "263902037430900"  # Meta's Page Inbox as an app of the Handover Protocol
THREAD_OWNED = (10, 2018300)  # Send API: another app owns the conversation
THREAD_OWNED_REASON = "thread_owned_by_other_app"
# What an agent can do instead (the 409's options)
WAIT_FOR_HANDOVER = "wait_for_handover"  # the owning app (the bot) passes the conversation to Kanal
ANSWER_IN_OWNER_APP = "answer_in_owner_app"  # answer where the owner is used, e.g. Meta's Page Inbox
OTHER_CHANNEL = "other_channel"


class ThreadOwnedByOtherApp(Conflict):
    """The platform refused a reply: another app owns the conversation (409; nothing was sent)."""

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(
            "another app (the company's bot or Meta's Page Inbox) owns this conversation, so Meta refused "
            "the reply; it can be sent once that app passes the conversation to Kanal"
            + (f" ({detail})" if detail else "")
        )
        self.reason = THREAD_OWNED_REASON
        self.options = [WAIT_FOR_HANDOVER, ANSWER_IN_OWNER_APP, OTHER_CHANNEL]


class GraphCalls(Protocol):
    """The Graph API's calls as the account (``graph.GraphApi``, which imports this module's refusal)."""

    def get(self, operation: str, account_id: str, path: str, params: dict[str, str]) -> dict[str, Any]: ...
    def post(self, operation: str, account_id: str, path: str, body: dict[str, Any]) -> dict[str, Any]: ...


class ThreadControlApi:
    """Conversation Routing calls as one Page or Instagram account."""

    def __init__(self, api: GraphCalls) -> None:
        self.api = api

    def thread_owner(self, channel: str, account_id: str, customer: str) -> str | None:
        """The app id that owns the customer's conversation with the account; None when none does."""
        answer = self.api.get(
            f"{channel}.thread_owner", account_id, f"{account_id}/thread_owner", {"recipient": customer}
        )
        data = answer.get("data")
        if not isinstance(data, list):
            raise DeliveryFailed("Graph API answered the thread owner lookup without data", code="no_data")
        for entry in data:
            owner = entry.get("thread_owner") if isinstance(entry, dict) else None
            if isinstance(owner, dict) and id_of(owner.get("app_id")):
                return id_of(owner.get("app_id"))
        return None

    def pass_thread_control(
        self, channel: str, account_id: str, customer: str, target_app_id: str, metadata: str | None = None
    ) -> None:
        """Pass the customer's conversation to ``target_app_id``; DeliveryFailed when Meta refuses."""
        body: dict[str, Any] = {"recipient": {"id": customer}, "target_app_id": int(target_app_id)}
        if metadata:
            body["metadata"] = metadata[:1000]
        answer = self.api.post(
            f"{channel}.pass_thread_control", account_id, f"{account_id}/pass_thread_control", body
        )
        if answer.get("success") is not True:
            raise DeliveryFailed("Graph API did not confirm passing the conversation", code="not_passed")
