"""Kanal's agent API (Chalice): routes only; each calls the domain in the `kanal` layer.

Authentication is the API's Cognito authorizer (in `template.yaml`); the claims arrive in the request
context. Domain errors become HTTP answers in one place, `route` below.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache, wraps
from typing import Any, TypeVar

import boto3
from chalice import Chalice, Response

from kanal.adapters.dynamo import DynamoStore
from kanal.adapters.models import bind, bind_organisation
from kanal.adapters.organisation import OrganisationStore
from kanal.adapters.rules import current_rules, store_rules
from kanal.api import http
from kanal.api.auth import Caller, caller_from_context
from kanal.api.queries import Queries
from kanal.config import load
from kanal.errors import BadRequest, KanalError

app = Chalice(app_name="kanal")
View = TypeVar("View", bound=Callable[..., Any])
_config = load(
    "inquiries_table", "messages_table", "customers_table", "organisation_table", "rules_parameter"
)
bind(_config)
bind_organisation(_config)


@cache
def queries() -> Queries:
    return Queries(DynamoStore(), organisation=OrganisationStore())


def route(path: str, method: str) -> Callable[[View], View]:
    """`app.route` whose typed domain errors become their HTTP answer (Chalice would answer 500)."""

    def register(view: View) -> View:
        @wraps(view)
        def answer(*args: Any, **kwargs: Any) -> Any:
            try:
                return view(*args, **kwargs)
            except KanalError as error:
                return Response(body=http.error_body(error), status_code=http.status_of(error))

        app.route(path, methods=[method])(answer)
        return view

    return register


def params() -> dict[str, str]:
    return dict(app.current_request.query_params or {})


def caller() -> Caller:
    return caller_from_context(app.current_request.context)


def json_body() -> Any:
    try:
        return json.loads(app.current_request.raw_body or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise BadRequest("body is not JSON") from error


@route("/api/inquiries", "GET")
def list_inquiries() -> dict[str, Any]:
    return queries().list_inquiries(params())


@route("/api/inquiries/{inquiry_id}", "GET")
def get_inquiry(inquiry_id: str) -> dict[str, Any]:
    return queries().detail(inquiry_id)


@route("/api/rules", "GET")
def get_rules() -> dict[str, Any]:
    caller().require_admin()
    rules = current_rules()
    return {"version": rules.version, "document": rules.document}


@route("/api/rules", "PUT")
def put_rules() -> dict[str, Any]:
    caller().require_admin()
    rules = store_rules(boto3.client("ssm"), json_body())
    return {"version": rules.version, "document": rules.document}
