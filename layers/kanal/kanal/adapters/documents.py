"""The documents a company keeps in SSM Parameter Store: priority rules, escalation tiers, approval policy.

Each is "the stored parameter, validated against its schema, or the default shipped with Kanal where none is
stored", read through powertools' parameters with a cache of ``KANAL_RULES_CACHE_SECONDS``. One
``StoredDocument`` per document says where it is kept, how its text is validated (compiled) and what its
default is; the reading is this module's alone.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Generic, TypeVar

from aws_lambda_powertools.utilities import parameters
from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError
from botocore.exceptions import ClientError

from kanal.config import config

Document = TypeVar("Document")


def not_found(error: GetParameterError) -> bool:
    """True when powertools failed because the parameter does not exist (it raises while handling the
    ClientError, which is the cause)."""
    cause = error.__cause__ or error.__context__
    return isinstance(cause, ClientError) and cause.response["Error"]["Code"] == "ParameterNotFound"


class StoredDocument(Generic[Document]):
    """One document: ``parameter`` names its SSM parameter (None: not configured, the default applies),
    ``compile`` validates its text into the domain's model (raising on an invalid document), ``default``
    is the shipped one. With ``remember_absence``, a parameter found missing is not asked for again within
    the cache time (an optional document that is seldom stored)."""

    def __init__(
        self,
        parameter: Callable[[], str | None],
        compile: Callable[[str], Document],
        default: Callable[[], Document],
        remember_absence: bool = True,
    ) -> None:
        self.parameter = parameter
        self.compile = compile
        self.default = default
        self.remember_absence = remember_absence
        self._absent_until = 0.0

    def current(self, force: bool = False) -> Document:
        """The document in force (``force``: read the parameter now, not from the cache)."""
        name = self.parameter()
        if not name or (not force and time.monotonic() < self._absent_until):
            return self.default()
        max_age = config().documents_cache_seconds
        try:
            text = parameters.get_parameter(name, max_age=max_age, force_fetch=force)
        except GetParameterError as error:
            if not not_found(error):
                raise
            if self.remember_absence:
                self._absent_until = time.monotonic() + max_age
            return self.default()
        return self.compile(str(text))

    def refresh(self) -> None:
        """Read the parameter again after it was written (the cache would keep the old text)."""
        name = self.parameter()
        if name:
            self._absent_until = 0.0
            parameters.get_parameter(name, force_fetch=True, max_age=config().documents_cache_seconds)
