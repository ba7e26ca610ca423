"""The channel sandbox stands in for the Graph API and the X API and shows every call it received."""

from __future__ import annotations

import uuid

import pytest


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


def test_outbox_items_keep_the_call_and_the_answer(local, http):
    page = str(uuid.uuid4().int % 10**15)
    body = {"recipient": {"id": "6543"}, "messaging_type": "RESPONSE", "message": {"text": "Hi"}}
    answer = http.post(f"{local.url}/sandbox/graph/v26.0/{page}/messages?debug=all", json=body).json()
    assert set(answer) == {"recipient_id", "message_id"} and answer["recipient_id"] == "6543"
    [call] = [c for c in http.get(f"{local.url}/sandbox/outbox").json()["items"] if page in c["path"]]
    assert (call["api"], call["method"], call["path"]) == ("graph", "POST", f"/v26.0/{page}/messages")
    assert call["query"] == {"debug": "all"} and call["body"] == body and call["answer"] == answer
    assert call["authorized"] is False and call["status"] == 200


def test_a_call_the_graph_api_would_refuse_gets_its_error_shape(local, http):
    response = http.post(f"{local.url}/sandbox/graph/v26.0/123_456/comments", json={"text": "no message"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert (
        error["code"] == 100 and error["type"] == "OAuthException" and error["message"].startswith("(#100)")
    )
    assert "fbtrace_id" in error
    missing = http.post(f"{local.url}/sandbox/graph/v26.0/123/messages", json={"message": {"text": "x"}})
    assert missing.status_code == 400 and "recipient" in missing.json()["error"]["message"]
    tweet = http.post(f"{local.url}/sandbox/x/2/tweets", json={"reply": {"in_reply_to_tweet_id": "1"}})
    assert tweet.status_code == 400 and tweet.json()["type"].endswith("/invalid-request")


def test_a_fault_answers_the_next_matching_calls_then_the_sandbox_answers_again(local, http):
    comment = str(uuid.uuid4().int % 10**15)
    fault = {
        "api": "graph",
        "path_contains": f"/{comment}/replies",
        "status": 500,
        "body": {"error": {"message": "An unknown error occurred", "code": 1, "is_transient": True}},
        "headers": {"Retry-After": 1},
        "times": 2,
    }
    created = http.post(f"{local.url}/sandbox/faults", json=fault)
    assert created.status_code == 201 and created.json()["times"] == 2
    pending = http.get(f"{local.url}/sandbox/faults").json()["items"]
    assert any(f["path_contains"] == f"/{comment}/replies" for f in pending)
    url = f"{local.url}/sandbox/graph/v26.0/{comment}/replies"
    answers = [http.post(url, json={"message": "Danke!"}) for _ in range(3)]
    assert [a.status_code for a in answers] == [500, 500, 200]
    assert answers[0].json() == fault["body"] and answers[0].headers["Retry-After"] == "1"
    assert set(answers[2].json()) == {"id"}
    # a fault for another API or path is not used
    assert http.post(f"{local.url}/sandbox/x/2/tweets", json={"text": comment}).status_code == 201


@pytest.mark.parametrize(
    "fault",
    [
        {"api": "tiktok", "path_contains": "/1", "status": 500},
        {"api": "graph", "path_contains": "", "status": 500},
        {"api": "graph", "path_contains": "/1", "status": 99},
        {"api": "graph", "path_contains": "/1", "status": "500"},
        {"api": "graph", "path_contains": "/1", "status": 500, "body": [1]},
        {"api": "graph", "path_contains": "/1", "status": 500, "headers": {"Retry-After": True}},
        {"api": "graph", "path_contains": "/1", "status": 500, "times": 0},
        {"api": "graph", "path_contains": "/1", "status": 500, "times": 1.5},
        {"api": "graph", "path_contains": "/1", "status": 500, "when": "later"},
        [1, 2],
    ],
)
def test_a_fault_that_is_not_well_formed_is_refused_with_400(local, http, fault):
    response = http.post(f"{local.url}/sandbox/faults", json=fault)
    assert response.status_code == 400 and response.json()["error"]
    bad_json = http.post(
        f"{local.url}/sandbox/faults", data="{", headers={"Content-Type": "application/json"}
    )
    assert bad_json.status_code == 400


def test_the_instagram_mention_lookup_is_answered_with_a_comment(local, http):
    account, comment = "17841405822304914", str(uuid.uuid4().int % 10**17)
    fields = f"mentioned_comment.comment_id({comment}){{id,text,timestamp,username,from,media}}"
    answer = http.get(f"{local.url}/sandbox/graph/v26.0/{account}", params={"fields": fields}).json()
    assert answer["id"] == account
    found = answer["mentioned_comment"]
    assert (
        found["id"] == comment and comment in found["text"] and found["from"]["username"] == found["username"]
    )
    media = http.get(
        f"{local.url}/sandbox/graph/v26.0/{account}",
        params={"fields": f"mentioned_media.media_id({comment}){{caption}}"},
    ).json()
    assert comment in media["mentioned_media"]["caption"]
