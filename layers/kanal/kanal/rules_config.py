"""The company's rules document in operation: SSM Parameter Store, read through powertools with caching.

Until an admin stores a document (PUT /api/rules), the default rules shipped with Kanal apply.
"""

from __future__ import annotations

import json
from functools import lru_cache

from aws_lambda_powertools.utilities import parameters
from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError
from botocore.exceptions import ClientError

from kanal.config import config
from kanal.priority import Rules, default_rules, load_rules

CACHE_SECONDS = 60


def _not_found(error: GetParameterError) -> bool:
    cause = error.__cause__ or error.__context__  # powertools raises it while handling the ClientError
    return isinstance(cause, ClientError) and cause.response["Error"]["Code"] == "ParameterNotFound"


@lru_cache(maxsize=8)
def _compiled(document: str) -> Rules:
    return load_rules(json.loads(document))


def current_rules() -> Rules:
    """The rules in force: the stored document, or the shipped defaults when none is stored."""
    try:
        document = parameters.get_parameter(config().rules_parameter, max_age=CACHE_SECONDS)
    except GetParameterError as error:
        if _not_found(error):
            return default_rules()
        raise
    return _compiled(str(document))
