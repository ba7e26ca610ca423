"""Ingest's SQS batch: every record is worked on, and only the ones that failed come back."""

from __future__ import annotations

from kanal.intake.batch import partial_batch


def _event(*bodies: str) -> dict:
    return {"Records": [{"messageId": f"m-{i}", "body": body} for i, body in enumerate(bodies)]}


def test_a_batch_whose_records_all_succeed_reports_no_failure():
    seen: list[str] = []
    assert partial_batch(_event("a", "b"), seen.append) == {"batchItemFailures": []}
    assert seen == ["a", "b"]


def test_a_failing_record_is_reported_by_its_message_id_and_the_others_still_run():
    # Given a batch whose second record cannot be handled
    seen: list[str] = []

    def handle(body: str) -> None:
        if body == "broken":
            raise ValueError("cannot read it")
        seen.append(body)

    # When the batch is worked through
    answer = partial_batch(_event("first", "broken", "third"), handle)
    # Then SQS delivers only the failed record again, and the records after it were handled
    assert answer == {"batchItemFailures": [{"itemIdentifier": "m-1"}]}
    assert seen == ["first", "third"]


def test_an_event_without_records_reports_no_failure():
    assert partial_batch({}, lambda body: None) == {"batchItemFailures": []}
