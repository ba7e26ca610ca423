"""Kanal's agent API (Chalice): routes only; each calls the domain in the `kanal` layer.

Authentication is the API's Cognito authorizer (in `template.yaml`); the claims arrive in the request
context. Domain errors become HTTP answers in one place, `route` below.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache, partial, wraps
from typing import TYPE_CHECKING, Any, TypeVar

import boto3
from chalice import Chalice, Response

from kanal.adapters.counters import DynamoCounters, bind_reports
from kanal.adapters.inquiry_store import InquiryStore
from kanal.adapters.models import bind, bind_organisation
from kanal.adapters.roster_store import OrganisationStore
from kanal.adapters.store import DynamoStore
from kanal.api import http
from kanal.api.auth import Caller, caller_from_context
from kanal.api.queries import Queries
from kanal.api.roster_admin import OrganisationApi
from kanal.api.sign_in import signed_in
from kanal.api.work import Work
from kanal.config import load
from kanal.errors import BadRequest, KanalError
from kanal.model import Inquiry
from kanal.observability import metrics

if TYPE_CHECKING:
    from chalice.app import Request

    from kanal.api.drafts import DraftsApi
    from kanal.api.forecast import ForecastApi
    from kanal.routing.casework import Casework
    from kanal.routing.events import Events

# What only some routes need is imported by them (the rules and the routing service with the priority
# engine, drafts, the forecast): a cold start serving the queue does not load it (docs/decisions.md).

app = Chalice(app_name="kanal")


@app.middleware("all")
def _publish_metrics(event: Any, get_response: Callable[[Any], Any]) -> Any:
    """What a request counted (ReplyFailed, AnsweredInTime) is written as EMF once it is answered: the
    other functions' `@metrics.log_metrics`, which Chalice's handler cannot take."""
    try:
        return get_response(event)
    finally:
        if metrics.metric_set:
            metrics.flush_metrics()


View = TypeVar("View", bound=Callable[..., Any])
_config = load(
    "inquiries_table",
    "messages_table",
    "customers_table",
    "organisation_table",
    "rules_parameter",
    "notifications_topic_arn",
    "reports_table",
    "user_pool_id",
)
bind(_config)
bind_organisation(_config)
bind_reports(_config)


@cache
def queries() -> Queries:
    return Queries(DynamoStore(), OrganisationStore(), approves=approves)


def approves(who: Caller, team: str | None) -> bool:
    return drafts().approves(who, team)


def events() -> Events:
    from kanal.routing.wiring import events as composed

    return composed()


def casework() -> Casework:
    from kanal.routing.wiring import casework as composed

    return composed()


def current_rules() -> Any:
    from kanal.adapters.rules import current_rules as stored

    return stored()


@cache
def organisation() -> OrganisationApi:
    from kanal.routing.staffing import Organisation
    from kanal.routing.wiring import identities, notifier

    store = OrganisationStore()
    return OrganisationApi(
        store,
        Organisation(store, notifier(), identities()),
        events,
        calendars=lambda: current_rules().calendars,
    )


@cache
def drafts() -> DraftsApi:
    from kanal.api.drafts import DraftsApi

    def service() -> Any:
        from kanal.conversation.wiring import drafts as composed  # loaded with the first draft or reply

        return composed()

    return DraftsApi(InquiryStore(), OrganisationStore(), service)


@cache
def work() -> Work:
    store = OrganisationStore()
    return Work(DynamoStore(), store, events, casework, ratings=store, after_resolve=hand_back)


def hand_back(inquiry: Inquiry) -> Inquiry:
    """A resolved Messenger / Instagram conversation Kanal owns goes back to the company's bot."""
    from kanal.intake.threads_wiring import hand_back  # loaded with the first resolve

    return hand_back(inquiry)


@cache
def forecasts() -> ForecastApi:
    from kanal.api.forecast import ForecastApi

    return ForecastApi(DynamoCounters())


def json_headers() -> dict[str, str | list[str]]:
    return {"Content-Type": "application/json"}


def route(path: str, method: str) -> Callable[[View], View]:
    """`app.route` whose typed domain errors become their HTTP answer (Chalice would answer 500)."""

    def register(view: View) -> View:
        @wraps(view)
        def answer(*args: Any, **kwargs: Any) -> Any:
            try:
                result = view(*args, **kwargs)
            except KanalError as error:
                status = http.status_of(error)
                return Response(body=http.error_body(error), status_code=status, headers=json_headers())
            # Chalice sends a dict without a Content-Type, leaving it to whatever proxies the answer
            return result if isinstance(result, Response) else Response(body=result, headers=json_headers())

        app.route(path, methods=[method])(answer)
        return view

    return register


def request() -> Request:
    """The request a route is serving (Chalice sets it before it calls the route)."""
    if app.current_request is None:
        raise RuntimeError("no request is being served")
    return app.current_request


def params() -> dict[str, str]:
    return dict(request().query_params or {})


def caller() -> Caller:
    """The signed-in agent as the organisation table has them now (one GetItem; 401 when unknown or
    disabled: API Gateway's authorizer does not see a sign-out)."""
    return signed_in(caller_from_context(request().context), OrganisationStore())


def created(body: dict[str, Any]) -> Response:
    return Response(body=body, status_code=201, headers={"Content-Type": "application/json"})


def json_body() -> Any:
    try:
        return json.loads(request().raw_body or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise BadRequest("body is not JSON") from error


@route("/api/inquiries", "GET")
def list_inquiries() -> dict[str, Any]:
    return queries().list_inquiries(caller(), params())


@route("/api/inquiries/{inquiry_id}", "GET")
def get_inquiry(inquiry_id: str) -> dict[str, Any]:
    return queries().detail(caller(), inquiry_id)


@route("/api/rules", "GET")
def get_rules() -> dict[str, Any]:
    caller().require_admin()
    rules = current_rules()
    return {"version": rules.version, "document": rules.document}


@route("/api/rules", "PUT")
def put_rules() -> dict[str, Any]:
    from kanal.adapters.rules import store_rules

    caller().require_admin()
    rules = store_rules(boto3.client("ssm"), json_body())
    return {"version": rules.version, "document": rules.document}


@route("/api/inquiries/{inquiry_id}/claim", "POST")
def claim_inquiry(inquiry_id: str) -> dict[str, Any]:
    return work().claim(caller(), inquiry_id)


@route("/api/inquiries/{inquiry_id}/replies", "POST")
def post_reply(inquiry_id: str) -> dict[str, Any]:
    from kanal.conversation.wiring import register_context, send_reply  # loaded with the first reply

    register_context(app.lambda_context)
    who = caller()
    return work().reply(who, inquiry_id, json_body(), partial(send_reply, gate=drafts().gate(who)))


@route("/api/inquiries/{inquiry_id}/handover", "POST")
def hand_over_inquiry(inquiry_id: str) -> dict[str, Any]:
    from kanal.conversation.wiring import hand_over  # loaded with the first handover

    return work().handover(caller(), inquiry_id, json_body(), hand_over)


@route("/api/inquiries/{inquiry_id}/resolve", "POST")
def resolve_inquiry(inquiry_id: str) -> dict[str, Any]:
    return work().resolve(caller(), inquiry_id)


@route("/api/inquiries/{inquiry_id}/assign", "POST")
def assign_inquiry(inquiry_id: str) -> dict[str, Any]:
    return work().assign(caller(), inquiry_id, json_body())


@route("/api/inquiries/{inquiry_id}/transfer", "POST")
def transfer_inquiry(inquiry_id: str) -> dict[str, Any]:
    return work().transfer(caller(), inquiry_id, json_body())


@route("/api/inquiries/{inquiry_id}/notes", "POST")
def add_note(inquiry_id: str) -> Response:
    return created(work().add_note(caller(), inquiry_id, json_body()))


@route("/api/inquiries/{inquiry_id}/wait", "POST")
def wait_on_customer(inquiry_id: str) -> dict[str, Any]:
    return work().wait(caller(), inquiry_id)


@route("/api/inquiries/{inquiry_id}/reopen", "POST")
def reopen_inquiry(inquiry_id: str) -> dict[str, Any]:
    return work().reopen(caller(), inquiry_id)


@route("/api/inquiries/{inquiry_id}/csat", "POST")
def rate_inquiry(inquiry_id: str) -> Response:
    return created(work().rate(caller(), inquiry_id, json_body()))


@route("/api/inquiries/{inquiry_id}/drafts", "POST")
def create_draft(inquiry_id: str) -> Response:
    return created(drafts().create(caller(), inquiry_id, json_body()))


@route("/api/inquiries/{inquiry_id}/drafts/{draft_id}", "PUT")
def edit_draft(inquiry_id: str, draft_id: str) -> dict[str, Any]:
    return drafts().edit(caller(), inquiry_id, draft_id, json_body())


@route("/api/inquiries/{inquiry_id}/drafts/{draft_id}/approve", "POST")
def approve_draft(inquiry_id: str, draft_id: str) -> dict[str, Any]:
    from kanal.conversation.wiring import register_context  # publishing is a reply

    register_context(app.lambda_context)
    return drafts().approve(caller(), inquiry_id, draft_id, json_body())


@route("/api/inquiries/{inquiry_id}/drafts/{draft_id}/reject", "POST")
def reject_draft(inquiry_id: str, draft_id: str) -> dict[str, Any]:
    return drafts().reject(caller(), inquiry_id, draft_id, json_body())


@route("/api/agents", "GET")
def list_agents() -> dict[str, Any]:
    return organisation().list_agents(caller())


@route("/api/agents", "POST")
def create_agent() -> Response:
    return created(organisation().create_agent(caller(), json_body()))


@route("/api/agents/{agent_id}", "PUT")
def update_agent(agent_id: str) -> dict[str, Any]:
    return organisation().update_agent(caller(), agent_id, json_body())


@route("/api/agents/{agent_id}/status", "PUT")
def set_agent_status(agent_id: str) -> dict[str, Any]:
    return organisation().set_status(caller(), agent_id, json_body())


@route("/api/teams", "GET")
def list_teams() -> dict[str, Any]:
    return organisation().list_teams(caller())


@route("/api/teams", "POST")
def create_team() -> Response:
    return created(organisation().create_team(caller(), json_body()))


@route("/api/teams/{team_id}", "PUT")
def update_team(team_id: str) -> dict[str, Any]:
    return organisation().update_team(caller(), team_id, json_body())


@route("/api/forecast", "GET")
def get_forecast() -> dict[str, Any]:
    return forecasts().forecast(caller(), params())
