"""The agent API's read routes: paging through the queue, and clear errors for bad requests."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.conftest import eventually, load_event
from tests.signing import sign_meta


@pytest.fixture(scope="module")
def seven_inquiries(local, admin_headers):
    """Seven new Messenger inquiries from seven customers, all scored."""
    import requests

    mids = []
    for _ in range(7):
        event = load_event("meta/messenger_text.json")
        messaging = event["entry"][0]["messaging"][0]
        messaging["sender"]["id"] = str(uuid.uuid4().int % 10**15)
        messaging["message"]["mid"] = mid = f"m_{uuid.uuid4().hex}"
        body = json.dumps(event).encode()
        signature = sign_meta(body, "local-meta-app-secret")
        assert requests.post(
            f"{local.url}/webhooks/meta", data=body, headers={"X-Hub-Signature-256": signature}
        ).ok
        mids.append(mid)

    def all_scored():
        items = requests.get(
            f"{local.url}/api/inquiries", params={"limit": 100}, headers=admin_headers
        ).json()
        scored = {i["external_id"] for i in items["items"] if i["priority"]}
        return set(mids) <= scored

    eventually(all_scored, timeout=30, interval=0.3)
    return mids


def test_the_queue_pages_with_a_cursor_without_repeating_or_skipping(
    local, http, admin_headers, seven_inquiries
):
    # Given the queue as one page (at least seven inquiries), once every inquiry in it is scored and in place
    def settled():
        page = http.get(f"{local.url}/api/inquiries", params={"limit": 100}, headers=admin_headers).json()
        return page if all(item["priority"] for item in page["items"]) else None

    everything = eventually(settled, timeout=30, interval=0.3)
    assert len(everything["items"]) >= 7
    # When it is read three at a time, following `next`
    seen, cursor = [], None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = http.get(f"{local.url}/api/inquiries", params=params, headers=admin_headers).json()
        assert len(page["items"]) <= 3
        seen += [item["id"] for item in page["items"]]
        cursor = page["next"]
        if not cursor or len(seen) >= 60:
            break
    # Then the pages are the same inquiries in the same order, each once
    assert len(seen) >= 7 and len(seen) == len(set(seen))
    assert seen == [item["id"] for item in everything["items"]][: len(seen)]


def test_the_queue_is_ordered_most_urgent_first(local, http, admin_headers, seven_inquiries):
    items = http.get(f"{local.url}/api/inquiries", params={"limit": 100}, headers=admin_headers).json()[
        "items"
    ]
    bands = [(item["priority"] or {}).get("band", "P9") for item in items]
    assert bands == sorted(bands)


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"status": "lost"}, "status"),
        ({"cursor": "%%%not-a-cursor"}, "cursor"),
        ({"cursor": "eyJ4IjpudWxsfQ"}, "cursor"),
    ],
)
def test_a_bad_query_is_a_400_naming_the_parameter(local, http, admin_headers, params, fragment):
    response = http.get(f"{local.url}/api/inquiries", params=params, headers=admin_headers)
    assert response.status_code == 400
    assert fragment in response.json()["error"]


def test_an_unknown_inquiry_is_a_404(local, http, admin_headers):
    response = http.get(f"{local.url}/api/inquiries/does-not-exist", headers=admin_headers)
    assert response.status_code == 404
    assert "does-not-exist" in response.json()["error"]


def test_a_forged_or_expired_token_is_refused(local, http):
    from tests import tokens

    tampered = tokens.token("admin")[:-4] + "AAAA"
    for token in (tampered, tokens.foreign("admin"), tokens.expired("admin"), "not-a-jwt"):
        response = http.get(f"{local.url}/api/inquiries", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401
