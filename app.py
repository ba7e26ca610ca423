"""Kanal's agent API (Chalice): routes only; each calls the domain in the `kanal` layer.

Authentication is the API's Cognito authorizer (in `template.yaml`); the claims arrive in the request
context. Domain errors become HTTP answers in one place, the middleware below.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from chalice import Chalice, Response
from kanal import http
from kanal.config import load
from kanal.errors import KanalError
from kanal.queries import Queries
from kanal.store.dynamo import DynamoStore
from kanal.store.models import bind

app = Chalice(app_name="kanal")
bind(load("inquiries_table", "messages_table", "customers_table"))


@cache
def queries() -> Queries:
    return Queries(DynamoStore())


@app.middleware("http")
def typed_errors(event: Any, get_response: Any) -> Response:
    try:
        return get_response(event)
    except KanalError as error:
        return Response(body=http.error_body(error), status_code=http.status_of(error))


def params() -> dict[str, str]:
    return dict(app.current_request.query_params or {})


@app.route("/api/inquiries", methods=["GET"])
def list_inquiries() -> dict[str, Any]:
    return queries().list_inquiries(params())


@app.route("/api/inquiries/{inquiry_id}", methods=["GET"])
def get_inquiry(inquiry_id: str) -> dict[str, Any]:
    return queries().detail(inquiry_id)
