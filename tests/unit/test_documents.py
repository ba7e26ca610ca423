"""One loader for the documents kept in Parameter Store: the stored text validated, or the shipped default."""

from __future__ import annotations

from typing import Any

import pytest
from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError
from botocore.exceptions import ClientError

from kanal.adapters import documents
from kanal.adapters.documents import StoredDocument
from kanal.config import Config


class Ssm:
    """powertools' get_parameter over a dict of stored parameters, counting the reads."""

    def __init__(self, stored: dict[str, str]) -> None:
        self.stored = stored
        self.reads = 0

    def get_parameter(self, name: str, max_age: int, force_fetch: bool = False) -> str:
        self.reads += 1
        if name not in self.stored:
            try:
                raise ClientError({"Error": {"Code": "ParameterNotFound", "Message": ""}}, "GetParameter")
            except ClientError as error:
                raise GetParameterError(str(error)) from error
        return self.stored[name]


@pytest.fixture
def ssm(monkeypatch: pytest.MonkeyPatch) -> Ssm:
    fake = Ssm({})
    monkeypatch.setattr(documents.parameters, "get_parameter", fake.get_parameter)
    monkeypatch.setattr(documents, "config", lambda: Config({"KANAL_RULES_CACHE_SECONDS": "60"}))
    return fake


def _document(name: str | None, remember_absence: bool = True) -> StoredDocument[Any]:
    return StoredDocument(lambda: name, lambda text: ("stored", text), lambda: ("default",), remember_absence)


def test_given_a_stored_document_when_read_then_its_validated_text_applies(ssm: Ssm) -> None:
    ssm.stored["/kanal/dev/approval"] = '{"rules": []}'
    assert _document("/kanal/dev/approval").current() == ("stored", '{"rules": []}')


def test_given_no_parameter_configured_when_read_then_the_default_applies_without_a_read(ssm: Ssm) -> None:
    assert _document(None).current() == ("default",)
    assert ssm.reads == 0


def test_given_an_optional_document_not_stored_when_read_twice_then_ssm_is_asked_once(ssm: Ssm) -> None:
    document = _document("/kanal/dev/escalation")
    assert document.current() == ("default",) and document.current() == ("default",)
    assert ssm.reads == 1
    ssm.stored["/kanal/dev/escalation"] = "{}"
    assert document.current(force=True) == ("stored", "{}")


def test_given_rules_not_stored_when_read_twice_then_each_read_asks_ssm(ssm: Ssm) -> None:
    document = _document("/kanal/dev/rules", remember_absence=False)
    document.current()
    document.current()
    assert ssm.reads == 2


def test_given_another_failure_when_read_then_it_is_raised_not_hidden_behind_the_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def denied(name: str, max_age: int, force_fetch: bool = False) -> str:
        try:
            raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": ""}}, "GetParameter")
        except ClientError as error:
            raise GetParameterError(str(error)) from error

    monkeypatch.setattr(documents.parameters, "get_parameter", denied)
    with pytest.raises(GetParameterError):
        _document("/kanal/dev/approval").current()
