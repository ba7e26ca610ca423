"""The channel sandbox stands in for the Graph API and the X API and shows every call it received."""

from __future__ import annotations

import uuid


def test_a_graph_call_is_answered_like_the_graph_api_and_listed_in_the_outbox(local, http):
    # Given a reply to a comment, as a Graph API client sends it
    comment = f"{uuid.uuid4().int % 10**15}_{uuid.uuid4().int % 10**15}"
    response = http.post(
        f"{local.url}/sandbox/graph/v21.0/{comment}/comments",
        json={"message": "Wir helfen!"},
        headers={"Authorization": "Bearer page-token"},
    )
    # Then the sandbox answers with the new comment's id and records the call, without the token
    assert response.status_code == 200
    assert response.json()["id"].startswith(f"{comment.split('_')[0]}_") and response.json()["id"] != comment
    calls = http.get(f"{local.url}/sandbox/outbox").json()["items"]
    call = next(c for c in calls if c["path"] == f"/v21.0/{comment}/comments")
    assert call["api"] == "graph" and call["method"] == "POST" and call["body"] == {"message": "Wir helfen!"}
    assert call["authorized"] is True and "Authorization" not in call["headers"]


def test_whatsapp_and_x_calls_get_their_platforms_answer_shapes(local, http):
    whatsapp = http.post(
        f"{local.url}/sandbox/graph/v21.0/106540352242922/messages",
        json={"messaging_product": "whatsapp", "to": "4915112345678", "text": {"body": "Hallo"}},
    )
    assert whatsapp.json()["messages"][0]["id"].startswith("wamid.")
    tweet = http.post(f"{local.url}/sandbox/x/2/tweets", json={"text": "We are on it"})
    assert tweet.json()["data"]["text"] == "We are on it"
    dm = http.post(f"{local.url}/sandbox/x/2/dm_conversations/with/2244994945/messages", json={"text": "Hi"})
    assert set(dm.json()["data"]) == {"dm_conversation_id", "dm_event_id"}
    assert http.post(f"{local.url}/sandbox/x/2/tweets", data="[1]").status_code == 400
