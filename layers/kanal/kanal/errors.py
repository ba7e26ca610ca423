"""Typed errors: their class names are the contract with HTTP mapping and the state machines' Retry/Catch."""


class KanalError(Exception):
    """Base of every error Kanal raises on purpose."""


class BadRequest(KanalError):
    """The request or delivery is not what it should be (HTTP 400)."""


class MalformedPayload(BadRequest):
    """A webhook body is not JSON, or not the shape the platform sends."""


class PayloadTooLarge(KanalError):
    """A body over the accepted size (HTTP 413)."""


class InvalidSignature(KanalError):
    """A missing or wrong webhook signature (HTTP 401)."""


class NotSignedIn(KanalError):
    """A token that names no agent Kanal knows, or a disabled one (HTTP 401)."""


class Forbidden(KanalError):
    """A wrong verify token or a caller without the right (HTTP 403)."""


class NotFound(KanalError):
    """No such resource (HTTP 404)."""


class Conflict(KanalError):
    """A concurrent change won, or the resource is not in a state that allows this (HTTP 409)."""


class InvalidRules(BadRequest):
    """A rules document that does not validate; ``errors`` lists every problem."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


class InvalidDocument(BadRequest):
    """An agent API body that does not validate against its schema; ``errors`` lists every problem."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


class ClockChanged(KanalError):
    """The SLA clock moved on after the state machine computed its wait: it must look again (its Catch)."""

    control_flow = True  # expected: the state machine catches it; not a failure to alert on
