"""The agent console's static files (`infra/console/`): served at `/` by the local stack, published to
the console bucket behind CloudFront in AWS (`kanal console publish --stack NAME`).

The page reads `/config.json` to learn where it runs. Locally it signs in with a picker of the seeded
agents (`GET /local/agents`, `POST /local/token`: ID and refresh tokens from the emulator's Cognito, the
same as `kanal token`; `POST /local/token/refresh` refreshes them); in AWS through
Cognito's managed login (authorization code with PKCE) on the user pool of `template.yaml`, its settings
written into `config.json` from the stack's outputs.
"""

from __future__ import annotations

import json
import mimetypes
from pathlib import Path
from typing import Any

from werkzeug.wrappers import Request, Response

from kanal_local.auth import LocalSignIn, SignInFailed
from kanal_local.seed import organisation_document
from kanal_local.template import ROOT

CONSOLE_DIR = ROOT / "infra" / "console"
ASSETS = "/assets/"

# Everything the page loads comes from its own origin; customer text is only ever set as text, and this
# policy makes an injected script or handler inert even if it were not.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
TYPES = {".js": "text/javascript", ".json": "application/json", ".css": "text/css", ".html": "text/html"}


def files(root: Path = CONSOLE_DIR) -> list[Path]:
    """The console's files, relative to its directory (what is served and published)."""
    return sorted(p.relative_to(root) for p in root.rglob("*") if p.is_file() and not p.name.startswith("."))


def content_type(path: Path) -> str:
    found = TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"{found}; charset=utf-8" if found.startswith("text/") or found.endswith("json") else found


def _file(path: Path) -> Response:
    response = Response(path.read_bytes(), status=200, content_type=content_type(path))
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-cache"
    return response


def _json(status: int, body: Any) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


def index(request: Request) -> Response:
    return _file(CONSOLE_DIR / "index.html")


def asset(request: Request) -> Response:
    relative = request.path.lstrip("/")
    path = (CONSOLE_DIR / relative).resolve()
    if not path.is_relative_to(CONSOLE_DIR / "assets") or not path.is_file():
        return _json(404, {"error": f"no console file {request.path}"})
    return _file(path)


def local_config(request: Request) -> Response:
    """What `config.json` says on the local stack: same-origin API, the local sign-in."""
    return _json(200, {"auth": "local", "api_base_url": "", "notifications": True})


def agents(request: Request) -> Response:
    """The seeded agents the local sign-in offers (id, name, teams, groups): no contact data."""
    items = [
        {"id": a["id"], "name": a["name"], "teams": a.get("teams", []), "groups": a.get("groups", ["agents"])}
        for a in organisation_document()["agents"]
    ]
    return _json(200, {"items": items})


def _body(request: Request) -> Any:
    try:
        return json.loads(request.get_data() or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None


def _tokens(result: dict[str, Any], agent_id: str | None = None) -> dict[str, Any]:
    seconds = result["ExpiresIn"]
    body = {"token": result["IdToken"], "expires_in": seconds, "hours": seconds / 3600}
    if result.get("RefreshToken"):
        body["refresh_token"] = result["RefreshToken"]
    if agent_id:
        body["agent_id"] = agent_id
    return body


def token(request: Request, sign_in: LocalSignIn) -> Response:
    """`POST /local/token` `{"agent_id"}`: the agent's ID token (and refresh token) from the emulator's
    Cognito, exactly as `kanal token` prints it; 401 for a disabled agent, as Cognito refuses them."""
    from kanal.adapters.roster_store import OrganisationStore

    body = _body(request)
    agent_id = body.get("agent_id") if isinstance(body, dict) else None
    if not isinstance(agent_id, str) or not agent_id:
        return _json(400, {"error": 'send {"agent_id": "..."} naming an agent'})
    agent = OrganisationStore().get_agent(agent_id)
    if agent is None:
        return _json(400, {"error": f"{agent_id} is not an agent (GET /local/agents lists the seeded ones)"})
    if not agent.email:
        return _json(400, {"error": f"{agent_id} has no e-mail address, so no sign-in"})
    try:
        return _json(200, _tokens(sign_in.sign_in(agent.email), agent_id))
    except SignInFailed as error:
        return _json(error.status, {"error": str(error)})


def refresh(request: Request, sign_in: LocalSignIn) -> Response:
    """`POST /local/token/refresh` `{"refresh_token"}`: new tokens, as Cognito's /oauth2/token answers
    `grant_type=refresh_token` (the trigger runs again: changed groups apply, a disabled agent gets 401)."""
    body = _body(request)
    refresh_token = body.get("refresh_token") if isinstance(body, dict) else None
    if not isinstance(refresh_token, str) or not refresh_token:
        return _json(400, {"error": 'send {"refresh_token": "..."}'})
    try:
        return _json(200, _tokens(sign_in.refresh(refresh_token)))
    except SignInFailed as error:
        return _json(error.status, {"error": str(error)})


def aws_config(outputs: dict[str, str], region: str) -> dict[str, Any]:
    """`config.json` for the console in AWS, from the stack's outputs: the API behind the same CloudFront
    distribution (so no CORS), and Cognito's managed login for the user pool's console client."""
    console = outputs["ConsoleDistributionUrl"].rstrip("/")
    return {
        "auth": "cognito",
        "api_base_url": console,
        "notifications": False,
        "cognito": {
            "domain": f"https://{outputs['UserPoolDomain']}.auth.{region}.amazoncognito.com",
            "client_id": outputs["ConsoleUserPoolClientId"],
            "redirect_uri": f"{console}/",
            "logout_uri": f"{console}/",
            "scopes": ["openid", "email", "profile"],
        },
    }


def publish(s3: Any, outputs: dict[str, str], region: str, root: Path = CONSOLE_DIR) -> list[str]:
    """Upload the console's files and its `config.json` to the console bucket; the keys written."""
    bucket = outputs["ConsoleBucketName"]
    written = []
    for relative in files(root):
        key = relative.as_posix()
        s3.put_object(
            Bucket=bucket,
            Key=key,
            Body=(root / relative).read_bytes(),
            ContentType=content_type(relative),
            CacheControl="no-cache",
        )
        written.append(key)
    s3.put_object(
        Bucket=bucket,
        Key="config.json",
        Body=json.dumps(aws_config(outputs, region), indent=2).encode(),
        ContentType="application/json",
        CacheControl="no-cache",
    )
    return [*written, "config.json"]
