"""The local HTTP gateway: serves the template's `Api` events as API Gateway (REST) proxy events.

Routes, methods and the functions behind them come from `template.yaml`. Extra local-only routes
(health, inspection, the console) are registered by `kanal_local.server`.
"""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Request, Response

from kanal_local.runtime import Dispatcher, FunctionError

API_GATEWAY_MAX_BODY = 10 * 1024 * 1024  # REST API payload limit

LocalHandler = Callable[[Request], Response]


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # as in the template, e.g. /api/inquiries/{id}
    function: str  # logical id
    pattern: re.Pattern[str]
    auth: bool = False  # the API's authorizer guards this route

    @classmethod
    def of(cls, method: str, path: str, function: str, auth: bool = False) -> Route:
        regex = "^"
        for part in re.split(r"(\{[^}]+\})", path):
            if part.startswith("{") and part.endswith("+}"):
                regex += f"(?P<{part[1:-2]}>.+)"
            elif part.startswith("{"):
                regex += f"(?P<{part[1:-1]}>[^/]+)"
            else:
                regex += re.escape(part)
        return cls(method, path, function, re.compile(regex + "$"), auth)


def proxy_event(
    request: Request, route: Route, params: dict[str, str], stage: str, authorizer: dict[str, Any] | None
) -> dict[str, Any]:
    body = request.get_data()
    try:
        text, is_base64 = body.decode("utf-8"), False
    except UnicodeDecodeError:
        text, is_base64 = base64.b64encode(body).decode(), True
    query = request.args
    headers = dict(request.headers.items())
    now = time.time()
    return {
        "resource": route.path,
        "path": request.path,
        "httpMethod": request.method,
        "headers": headers,
        "multiValueHeaders": {k: request.headers.getlist(k) for k in headers},
        "queryStringParameters": {k: query.get(k) for k in query} or None,
        "multiValueQueryStringParameters": {k: query.getlist(k) for k in query} or None,
        "pathParameters": params or None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": route.path,
            "httpMethod": request.method,
            "path": f"/{stage}{request.path}",
            "stage": stage,
            "requestId": str(uuid.uuid4()),
            "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "requestTimeEpoch": int(now * 1000),
            "identity": {
                "sourceIp": request.remote_addr or "127.0.0.1",
                "userAgent": request.user_agent.string,
            },
            "authorizer": authorizer,
            "accountId": "123456789012",
            "apiId": "local",
            "protocol": request.environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
        },
        "body": text if body else None,
        "isBase64Encoded": is_base64,
    }


def proxy_response(result: Any) -> Response:
    if not isinstance(result, dict) or "statusCode" not in result:
        return _json(502, {"message": "Internal server error"})
    body = result.get("body") or ""
    data = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode("utf-8")
    response = Response(data, status=int(result["statusCode"]))
    for key, value in (result.get("headers") or {}).items():
        response.headers[key] = str(value)
    for key, values in (result.get("multiValueHeaders") or {}).items():
        response.headers.remove(key)
        for value in values:
            response.headers.add(key, str(value))
    return response


def _json(status: int, body: Any) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


class Gateway:
    """A WSGI app: template routes to functions, plus local routes."""

    def __init__(
        self,
        dispatcher: Dispatcher,
        routes: list[Route],
        stage: str = "local",
        authorize: Callable[[Request], dict[str, Any] | None] | None = None,
    ) -> None:
        self.dispatcher = dispatcher
        self.routes = routes
        self.stage = stage
        self.authorize = authorize
        self.local: dict[tuple[str, str], LocalHandler] = {}
        self.local_prefixes: list[tuple[str, LocalHandler]] = []

    def add_local(self, method: str, path: str, handler: LocalHandler) -> None:
        self.local[(method, path)] = handler

    def add_local_prefix(self, prefix: str, handler: LocalHandler) -> None:
        """Serve every method and path under ``prefix`` (the channel sandbox)."""
        self.local_prefixes.append((prefix, handler))

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        allowed = False
        for route in self.routes:
            found = route.pattern.match(path)
            if found:
                allowed = True
                if route.method in (method, "ANY"):
                    return route, found.groupdict()
        if allowed:
            raise _MethodNotAllowed()
        return None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        try:
            response = self.handle(request)
        except HTTPException as error:
            response = _json(error.code or 500, {"message": error.description})
        return response(environ, start_response)

    def handle(self, request: Request) -> Response:
        local = self.local.get((request.method, request.path))
        if local is not None:
            return local(request)
        for prefix, handler in self.local_prefixes:
            if request.path.startswith(prefix):
                return handler(request)
        if request.content_length and request.content_length > API_GATEWAY_MAX_BODY:
            return _json(413, {"message": "Request Too Long"})
        try:
            matched = self.match(request.method, request.path)
        except _MethodNotAllowed:
            return _json(403, {"message": "Missing Authentication Token"})
        if matched is None:
            return _json(
                404 if request.path.startswith("/api") else 403, {"message": "Missing Authentication Token"}
            )
        route, params = matched
        authorizer = None
        if route.auth:
            authorizer = self.authorize(request) if self.authorize else None
            if authorizer is None:
                return _json(401, {"message": "Unauthorized"})
        event = proxy_event(request, route, params, self.stage, authorizer)
        try:
            return proxy_response(self.dispatcher.call(route.function, event))
        except FunctionError:
            return _json(502, {"message": "Internal server error"})


class _MethodNotAllowed(Exception):
    pass
