"""The channel sandbox: stands in for the Graph API and the X API on loopback, and records every call.

Replies, private replies and DMs really leave over HTTP to `/sandbox/graph/...` and `/sandbox/x/...`
(the base URLs the local stack gives the functions); `GET /sandbox/outbox` lists every call that arrived,
oldest first, so a person or a test can see what a customer would have received.

Each call is answered as the platform answers it (shapes from the same documentation the clients cite,
see `kanal/channels/outbound/graph.py` and `x.py`):

- Graph `POST /{comment-or-post-id}/comments`: `{"id": "<parent>_<new>"}`
- Graph `POST /{ig-comment-id}/replies` and `POST /{ig-user-id}/mentions`: `{"id"}`
- Graph `POST /{page-or-ig-id}/messages` (Messenger, Instagram, private replies):
  `{"recipient_id", "message_id"}`. A private reply (`recipient.comment_id` or `recipient.post_id`) is
  answered with a stable `recipient_id`, the customer's PSID (or IGSID) `private_reply_recipient(id)`, the
  same for the same comment or post every time: a test that handed over a comment posts its Messenger (or
  Instagram) webhook from that id. A second private reply to the same comment or post is refused as Meta
  refuses it (400, code 10900, "Activity already replied to"; only one message per comment:
  developers.facebook.com/documentation/business-messaging/messenger-platform/discovery/private-replies).
- Graph `POST /{phone-number-id}/messages` with `messaging_product: whatsapp`: `{"messaging_product",
  "contacts": [{"input", "wa_id"}], "messages": [{"id"}]}` (`user_id` instead of `wa_id` for a BSUID)
- Graph `GET /{ig-user-id}?fields=mentioned_comment.comment_id(ID){...}` (or `mentioned_media`):
  `{"mentioned_comment": {"id", "text", "timestamp", "username", "from"}, "id"}`
- Graph `GET /{id}`: `{"id"}` plus the requested fields it knows
- Graph `POST /{page-or-ig-id}/pass_thread_control` `{"recipient": {"id"}, "target_app_id", "metadata"?}`:
  `{"success": true}`; the conversation is then that app's
- Graph `GET /{page-or-ig-id}/thread_owner?recipient=PSID`: `{"data": [{"thread_owner": {"app_id"}}]}`,
  the app the last pass through the sandbox named, else Meta's Page Inbox (263902037430900): on the
  local stack a conversation nobody passed is answered by people in Meta's own tool (a fault with a 200
  and a body makes it any other app)
- X `POST /2/tweets`: 201 `{"data": {"id", "text", "edit_history_tweet_ids"}}`
- X `POST /2/dm_conversations/with/{id}/messages`: 201 `{"data": {"dm_conversation_id", "dm_event_id"}}`

A body that is not what the platform takes (no JSON object, a missing `message`, `recipient` or `text`) is
answered with the platform's own error shape: Graph `{"error": {"message", "type", "code", "fbtrace_id"}}`
(400, code 100), X `{"title", "detail", "type", "status", "errors"}` (400).

X refusing a DM (the customer does not accept DMs from the account) is a fault:
`{"api": "x", "path_contains": "/dm_conversations/with/<user id>/", "status": 403, "body": X_DM_REFUSED}`,
X's error 349 (developer.x.com/en/support/x-api/error-troubleshooting).

Errors on demand: `POST /sandbox/faults` `{"api": "graph"|"x", "path_contains": "...", "status": 500,
"body": {...}, "headers"?: {...}, "times"?: N}` makes the next N calls of that API whose path (or its
decoded query string) contains `path_contains` get that answer instead (a 200 with a body answers a
lookup with that body); `GET
/sandbox/faults` lists the faults still pending, `DELETE /sandbox/faults` drops them. Tokens are never
recorded (`authorized` says whether the call carried one).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from werkzeug.wrappers import Request, Response

GRAPH = "/sandbox/graph/"
X = "/sandbox/x/"
FAULTS = "/sandbox/faults"
APIS = ("graph", "x")
HIDDEN_HEADERS = frozenset({"authorization", "cookie"})
_VERSION = re.compile(r"v\d+\.\d+")
_MENTION = re.compile(r"mentioned_(comment|media)\.(?:comment|media)_id\(([^)]+)\)")
_FAULT_FIELDS = frozenset({"api", "path_contains", "status", "body", "headers", "times"})
MAX_FAULT_TIMES = 1000
PAGE_INBOX = "263902037430900"  # Meta's Page Inbox as an app of Conversation Routing


# X's answer to a DM its recipient does not accept from the account (error 349), for a fault
X_DM_REFUSED: dict[str, Any] = {
    "errors": [{"code": 349, "message": "You cannot send messages to this user."}],
    "title": "Forbidden",
    "detail": "You cannot send messages to this user.",
    "status": 403,
}
GRAPH_ALREADY_REPLIED = 10900


def private_reply_recipient(object_id: str) -> str:
    """The PSID (or IGSID) a private reply to the comment or post ``object_id`` reaches: stable."""
    return _stable_digits(f"private-reply:{object_id}", 16)


def private_reply_target(body: Any) -> str | None:
    """The comment or post a Graph ``/messages`` body answers privately, or None for any other message."""
    recipient = body.get("recipient") if isinstance(body, dict) else None
    if not isinstance(recipient, dict):
        return None
    target = recipient.get("comment_id") or recipient.get("post_id")
    return str(target) if target else None


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    response = Response(json.dumps(body), status=status, content_type="application/json")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _digits(count: int) -> str:
    return str(uuid.uuid4().int % 10**count).zfill(count)


def _stable_digits(seed: str, count: int) -> str:
    return str(int(hashlib.sha256(seed.encode()).hexdigest(), 16) % 10**count).zfill(count)


def _graph_error(message: str, code: int = 100, status: int = 400) -> tuple[int, dict[str, Any]]:
    return status, {
        "error": {
            "message": f"(#{code}) {message}",
            "type": "OAuthException",
            "code": code,
            "fbtrace_id": uuid.uuid4().hex[:11],
        }
    }


def _x_error(detail: str, status: int = 400) -> tuple[int, dict[str, Any]]:
    return status, {
        "errors": [{"message": detail}],
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": "https://api.twitter.com/2/problems/invalid-request",
        "status": status,
    }


def _segments(path: str) -> list[str]:
    """The path's segments without the version (``/v26.0/123/comments`` -> ["123", "comments"])."""
    return [p for p in path.strip("/").split("/") if p and not _VERSION.fullmatch(p)]


def graph_answer(method: str, path: str, body: dict[str, Any], query: dict[str, str]) -> tuple[int, Any]:
    """What the Graph API answers for the calls Kanal makes."""
    parts = _segments(path)
    if method == "GET":
        return _graph_get(parts, query)
    if not parts or len(parts) < 2:
        return _graph_error("Unsupported post request", code=100)
    node, edge = parts[0], parts[-1]
    if edge == "messages":
        return _graph_message(body)
    if edge in ("comments", "replies", "mentions"):
        if not isinstance(body.get("message"), str) or not body["message"].strip():
            return _graph_error("param message must be non-empty UTF-8 encoded string")
        if edge == "mentions" and not body.get("media_id"):
            return _graph_error("The parameter media_id is required")
        if edge == "comments":
            return 200, {"id": f"{node.split('_')[0]}_{_digits(16)}"}
        return 200, {"id": f"178{_digits(14)}"}
    return _graph_error(f"Unknown path components: /{edge}", code=2500)


def _graph_message(body: dict[str, Any]) -> tuple[int, Any]:
    if body.get("messaging_product") == "whatsapp":
        user = body.get("to") or body.get("recipient")
        if not isinstance(user, str) or not user:
            return _graph_error("The parameter to is required.")
        if body.get("type", "text") == "text" and not (body.get("text") or {}).get("body"):
            return _graph_error("The parameter text['body'] is required.")
        contact = {"input": user, "wa_id": re.sub(r"\D", "", user)} if "to" in body else {"input": user}
        if "to" not in body:
            contact["user_id"] = user
        return 200, {
            "messaging_product": "whatsapp",
            "contacts": [contact],
            "messages": [{"id": f"wamid.{uuid.uuid4().hex.upper()}"}],
        }
    recipient, message = body.get("recipient"), body.get("message")
    if not isinstance(recipient, dict) or not recipient:
        return _graph_error("param recipient must be non-empty.")
    if not isinstance(message, dict) or not message:
        return _graph_error("param message must be non-empty.")
    if body.get("messaging_type") == "MESSAGE_TAG" and not body.get("tag"):
        return _graph_error("Message tag is required when messaging_type is MESSAGE_TAG.")
    target = private_reply_target(body)
    psid = recipient.get("id") or (
        private_reply_recipient(target)
        if target
        else _stable_digits(json.dumps(recipient, sort_keys=True), 16)
    )
    return 200, {"recipient_id": psid, "message_id": f"m_{uuid.uuid4().hex}"}


def _graph_get(parts: list[str], query: dict[str, str]) -> tuple[int, Any]:
    if not parts:
        return _graph_error("Unsupported get request", code=100)
    node = parts[0]
    fields = query.get("fields", "")
    mention = _MENTION.search(fields)
    if mention:
        kind, mention_id = mention.groups()
        return 200, {f"mentioned_{kind}": mentioned(kind, mention_id, node), "id": node}
    answer: dict[str, Any] = {"id": node}
    for name in (f.strip() for f in fields.split(",") if f.strip()):
        if name in ("text", "caption"):
            answer[name] = f"Sandbox {name} {node}"
        elif name == "timestamp":
            answer[name] = _graph_time()
        elif name == "username":
            answer[name] = f"sandbox_user_{_stable_digits(node, 4)}"
    return 200, answer


def mentioned(kind: str, mention_id: str, account: str) -> dict[str, Any]:
    """A made-up comment or caption that @mentions the account: stable for the same id."""
    username = f"sandbox_user_{_stable_digits(mention_id, 4)}"
    text = f"@kanal_sandbox Hallo, ich habe eine Frage zu meiner Bestellung ({mention_id})."
    found: dict[str, Any] = {"id": mention_id, "timestamp": _graph_time(), "username": username}
    if kind == "comment":
        found["text"] = text
        found["from"] = {"id": f"17841{_stable_digits(mention_id, 11)}", "username": username}
    else:
        found["caption"] = text
        found["media_type"] = "IMAGE"
    return found


def _graph_time() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def x_answer(method: str, path: str, body: dict[str, Any]) -> tuple[int, Any]:
    """What the X API v2 answers for a post and a one-to-one DM."""
    parts = _segments(path)
    if method != "POST":
        return _x_error("Only POST is served by the sandbox", status=405)
    if parts[:1] == ["2"] and "dm_conversations" in parts and parts[-1] == "messages":
        if not isinstance(body.get("text"), str) or not body["text"]:
            return _x_error("$.text: must be a non-empty string")
        return 201, {"data": {"dm_conversation_id": _digits(19), "dm_event_id": _digits(19)}}
    if parts == ["2", "tweets"]:
        if not isinstance(body.get("text"), str) or not body["text"]:
            return _x_error("$.text: must be a non-empty string")
        reply = body.get("reply")
        if reply is not None and not (isinstance(reply, dict) and reply.get("in_reply_to_tweet_id")):
            return _x_error("$.reply.in_reply_to_tweet_id: is missing")
        tweet_id = _digits(19)
        return 201, {"data": {"id": tweet_id, "text": body["text"], "edit_history_tweet_ids": [tweet_id]}}
    return _x_error(f"Unknown endpoint {path}", status=404)


@dataclass
class Fault:
    api: str
    path_contains: str
    status: int
    body: Any
    headers: dict[str, str]
    times: int
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "api": self.api,
            "path_contains": self.path_contains,
            "status": self.status,
            "body": self.body,
            "headers": self.headers,
            "times": self.times,
        }


class InvalidFault(ValueError):
    pass


def parse_fault(payload: Any) -> Fault:
    """A fault from `POST /sandbox/faults`; InvalidFault names what is wrong."""
    if not isinstance(payload, dict):
        raise InvalidFault("the body must be a JSON object")
    unknown = set(payload) - _FAULT_FIELDS
    if unknown:
        raise InvalidFault(f"unknown fields: {', '.join(sorted(unknown))}")
    api = payload.get("api")
    if api not in APIS:
        raise InvalidFault('api must be "graph" or "x"')
    path_contains = payload.get("path_contains")
    if not isinstance(path_contains, str) or not path_contains:
        raise InvalidFault("path_contains must be a non-empty string")
    status = payload.get("status")
    if not isinstance(status, int) or isinstance(status, bool) or not 200 <= status <= 599:
        raise InvalidFault("status must be an HTTP status from 200 to 599")
    body = payload.get("body", {})
    if not isinstance(body, dict):
        raise InvalidFault("body must be a JSON object")
    headers = payload.get("headers", {})
    if not isinstance(headers, dict) or not all(
        isinstance(k, str) and k and isinstance(v, str | int | float) and not isinstance(v, bool)
        for k, v in headers.items()
    ):
        raise InvalidFault("headers must be an object of header names to strings or numbers")
    times = payload.get("times", 1)
    if not isinstance(times, int) or isinstance(times, bool) or not 1 <= times <= MAX_FAULT_TIMES:
        raise InvalidFault(f"times must be an integer from 1 to {MAX_FAULT_TIMES}")
    return Fault(api, path_contains, status, body, {k: str(v) for k, v in headers.items()}, times)


class ChannelSandbox:
    def __init__(self) -> None:
        self._calls: list[dict[str, Any]] = []
        self._faults: list[Fault] = []
        self._private_replies: set[str] = set()  # comments and posts answered privately (one each)
        self._owners: dict[tuple[str, str], str] = {}  # (account, customer) -> the app the last pass named
        self._lock = threading.Lock()

    def handle(self, request: Request) -> Response:
        api, path = (
            ("graph", request.path[len(GRAPH) - 1 :])
            if request.path.startswith(GRAPH)
            else ("x", request.path[len(X) - 1 :])
        )
        raw = request.get_data(as_text=True)
        try:
            body = json.loads(raw) if raw else {}
        except json.JSONDecodeError:
            body = dict(request.form) or {"raw": raw}
        query = dict(request.args)
        query_string = request.query_string.decode("utf-8", errors="replace")
        fault = self._take_fault(api, f"{path}?{unquote(query_string)}" if query_string else path)
        headers: dict[str, str] = {}
        if fault is not None:
            status, answer, headers = fault.status, fault.body, fault.headers
        elif not isinstance(body, dict):
            error = _graph_error if api == "graph" else _x_error
            status, answer = error("body must be a JSON object")
        elif api == "graph" and _segments(path)[-1:] in (["pass_thread_control"], ["thread_owner"]):
            status, answer = self._thread_control(request.method, _segments(path), body, query)
        elif api == "graph":
            status, answer = self._graph(request.method, path, body, query)
        else:
            status, answer = x_answer(request.method, path, body)
        with self._lock:
            self._calls.append(
                {
                    "api": api,
                    "method": request.method,
                    "path": path,
                    "query": query,
                    "headers": {k: v for k, v in request.headers.items() if k.lower() not in HIDDEN_HEADERS},
                    "authorized": bool(
                        request.headers.get("Authorization") or request.args.get("access_token")
                    ),
                    "body": body,
                    "status": status,
                    "answer": answer,
                    "fault": fault.id if fault is not None else None,
                    "at": time.time(),
                }
            )
        return _json(status, answer, headers)

    def _graph(self, method: str, path: str, body: dict[str, Any], query: dict[str, str]) -> tuple[int, Any]:
        target = private_reply_target(body) if method == "POST" else None
        if target is None:
            return graph_answer(method, path, body, query)
        with self._lock:
            if target in self._private_replies:
                return _graph_error("Activity already replied to", code=GRAPH_ALREADY_REPLIED)
            status, answer = graph_answer(method, path, body, query)
            if status == 200:
                self._private_replies.add(target)
            return status, answer

    def _thread_control(
        self, method: str, parts: list[str], body: dict[str, Any], query: dict[str, str]
    ) -> tuple[int, Any]:
        """Conversation Routing: pass a conversation to another app, or say which app owns it."""
        if len(parts) != 2:
            return _graph_error("Unsupported request", code=100)
        account, edge = parts
        if edge == "thread_owner":
            if method != "GET":
                return _graph_error("Unsupported post request", code=100)
            customer = query.get("recipient")
            if not customer:
                return _graph_error("The parameter recipient is required")
            with self._lock:
                owner = self._owners.get((account, customer), PAGE_INBOX)
            return 200, {"data": [{"thread_owner": {"app_id": owner}}]}
        if method != "POST":
            return _graph_error("Unsupported get request", code=100)
        recipient, target = body.get("recipient"), body.get("target_app_id")
        if not isinstance(recipient, dict) or not recipient.get("id"):
            return _graph_error("param recipient must be non-empty.")
        if isinstance(target, bool) or not isinstance(target, int | str) or not str(target).isdigit():
            return _graph_error("param target_app_id must be an app id")
        if body.get("metadata") is not None and not isinstance(body["metadata"], str):
            return _graph_error("param metadata must be a string")
        with self._lock:
            self._owners[(account, str(recipient["id"]))] = str(target)
        return 200, {"success": True}

    def _take_fault(self, api: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.api == api and fault.path_contains in path:
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def outbox(self, request: Request) -> Response:
        with self._lock:
            return _json(200, {"items": list(self._calls)})

    def faults(self, request: Request) -> Response:
        if request.method == "GET":
            with self._lock:
                return _json(200, {"items": [fault.as_json() for fault in self._faults]})
        if request.method == "DELETE":
            with self._lock:
                dropped = len(self._faults)
                self._faults.clear()
            return _json(200, {"dropped": dropped})
        try:
            payload = json.loads(request.get_data(as_text=True) or "null")
            fault = parse_fault(payload)
        except (json.JSONDecodeError, InvalidFault) as error:
            message = str(error) if isinstance(error, InvalidFault) else "the body must be JSON"
            return _json(400, {"error": message})
        with self._lock:
            self._faults.append(fault)
        return _json(201, fault.as_json())
