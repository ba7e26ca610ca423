"""An Instagram @mention webhook becomes an inquiry with the comment's text and author from the Graph API."""

from __future__ import annotations

from kanal_local.sandbox import mentioned
from tests.conftest import eventually
from tests.integration.deliveries import Ids, accepted, deliver, fixture, wait_for_message

ACCOUNT = "17841405822304914"


def _lookups(http, local, comment: str) -> list[dict]:
    items = http.get(f"{local.url}/sandbox/outbox").json()["items"]
    return [c for c in items if c["method"] == "GET" and comment in c["query"].get("fields", "")]


def test_a_mention_reads_like_any_other_inquiry(local, http, admin_headers):
    # Given an @mention notification, which carries only the media and comment ids
    ids = Ids()
    delivery = fixture("meta/instagram_mention.json", ids)
    comment = ids("17894227972186120")
    # When Meta delivers it
    assert accepted(deliver(http, local, "meta", delivery)) == 1
    stored = wait_for_message(local, "instagram", comment)
    # Then ingest looked the comment up as the account, and the inquiry has its text and author
    [lookup] = _lookups(http, local, comment)
    assert lookup["path"].endswith(f"/{ACCOUNT}") and lookup["authorized"] is True
    expected = mentioned("comment", comment, ACCOUNT)
    detail = http.get(f"{local.url}/api/inquiries/{stored['inquiry_id']}", headers=admin_headers).json()
    assert detail["text"] == expected["text"] and detail["visibility"] == "public"
    assert detail["author"]["id"] == expected["from"]["id"]
    assert detail["author"]["handle"] == expected["username"]
    assert [m["text"] for m in detail["messages"]] == [expected["text"]]


def test_a_failed_lookup_is_retried_by_the_queue(local, http, admin_headers):
    ids = Ids()
    delivery = fixture("meta/instagram_mention.json", ids)
    comment = ids("17894227972186120")
    # Given a Graph API that fails every lookup of this comment for a while (more than one ingest tries)
    fault = {
        "api": "graph",
        "path_contains": f"comment_id({comment})",
        "status": 500,
        "body": {"error": {"message": "An unexpected error has occurred.", "code": 2, "is_transient": True}},
        "times": 5,
    }
    assert http.post(f"{local.url}/sandbox/faults", json=fault).status_code == 201
    assert accepted(deliver(http, local, "meta", delivery)) == 1
    # Then the record comes back from the queue and the inquiry is made once the lookup succeeds
    stored = wait_for_message(local, "instagram", comment, timeout=40)
    assert stored["text"] == mentioned("comment", comment, ACCOUNT)["text"]
    statuses = [c["status"] for c in _lookups(http, local, comment)]
    assert statuses[:5] == [500] * 5 and statuses[-1] == 200
    assert eventually(lambda: len(_lookups(http, local, comment)) == len(statuses))
