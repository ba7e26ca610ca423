"""The channel sandbox: stands in for the Graph API and the X API on loopback, and records every call.

Replies, private replies and DMs really leave over HTTP to `/sandbox/graph/...` and `/sandbox/x/...`
(the base URLs the local stack gives the functions); `GET /sandbox/outbox` lists every call that arrived,
oldest first, so a person or a test can see what a customer would have received.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from typing import Any

from werkzeug.wrappers import Request, Response

GRAPH = "/sandbox/graph/"
X = "/sandbox/x/"
HIDDEN_HEADERS = frozenset({"authorization", "cookie"})


def _json(status: int, body: Any) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


def _new_id() -> str:
    return str(uuid.uuid4().int % 10**17)


def graph_answer(path: str, body: dict[str, Any]) -> dict[str, Any]:
    """What the Graph API answers for the calls Kanal makes (a comment reply, a DM, a WhatsApp message)."""
    if path.endswith("/messages") and body.get("messaging_product") == "whatsapp":
        return {"messaging_product": "whatsapp", "messages": [{"id": f"wamid.{uuid.uuid4().hex}"}]}
    if path.endswith("/messages"):
        return {
            "recipient_id": (body.get("recipient") or {}).get("id"),
            "message_id": f"m_{uuid.uuid4().hex}",
        }
    parts = [p for p in path.strip("/").split("/") if not re.fullmatch(r"v\d+\.\d+", p)]
    parent = parts[0].split("_")[0] if parts else "0"
    return {"id": f"{parent}_{_new_id()}"}


def x_answer(path: str, body: dict[str, Any]) -> dict[str, Any]:
    if re.search(r"dm_conversations", path):
        return {"data": {"dm_conversation_id": _new_id(), "dm_event_id": _new_id()}}
    return {"data": {"id": _new_id(), "text": body.get("text", "")}}


class ChannelSandbox:
    def __init__(self) -> None:
        self._calls: list[dict[str, Any]] = []
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
        if not isinstance(body, dict):
            return _json(400, {"error": {"message": "body must be a JSON object"}})
        answer = graph_answer(path, body) if api == "graph" else x_answer(path, body)
        with self._lock:
            self._calls.append(
                {
                    "api": api,
                    "method": request.method,
                    "path": path,
                    "query": dict(request.args),
                    "headers": {k: v for k, v in request.headers.items() if k.lower() not in HIDDEN_HEADERS},
                    "authorized": bool(
                        request.headers.get("Authorization") or request.args.get("access_token")
                    ),
                    "body": body,
                    "answer": answer,
                    "at": time.time(),
                }
            )
        return _json(200, answer)

    def outbox(self, request: Request) -> Response:
        with self._lock:
            return _json(200, {"items": list(self._calls)})
