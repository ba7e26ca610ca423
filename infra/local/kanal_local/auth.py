"""Local sign-in, the way AWS signs agents in: through the user pool of `template.yaml`, deployed into
the emulator's Cognito (emulator/cognito.py, 12.), with Kanal's pre-token-generation trigger run by the local
runtime (emulator/cognito.py, 13.).

- `LocalSignIn.sign_in(agent_id)`: the agent's ID token from the emulator's Cognito. Managed login with
  its password and TOTP code cannot run here, so the stack signs in as an administrator would:
  `AdminSetUserPassword` (a fresh random password, permanent) and `AdminInitiateAuth` with
  `ADMIN_USER_PASSWORD_AUTH` on a client of the pool that only the local stack creates
  (`kanal-local-sign-in`; the template's clients do not allow that flow). The trigger puts the agent id
  and groups in; a disabled or unknown agent gets no token.
- `LocalSignIn.refresh(refresh_token)`: new tokens through `REFRESH_TOKEN_AUTH` (the trigger runs again).
- `LocalSignIn.verify(token)`: what API Gateway's Cognito authorizer checks of an ID token: the RS256
  signature against the pool's JSON Web Key Set (as moto serves it), issuer = the pool, `token_use`
  = `id`, audience = a client of the pool, expiry. PyJWT does the checking.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

import jwt
from botocore.exceptions import ClientError

from kanal_local.emulator.cognito import cognito_jwks

LOCAL_CLIENT = "kanal-local-sign-in"


class SignInFailed(Exception):
    """Cognito issued no token (``status``: the HTTP answer for it)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class LocalSignIn:
    cognito: Any  # a cognito-idp client of the emulator
    user_pool_id: str
    region: str
    client_id: str = ""
    _keys: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.client_id = self.cognito.create_user_pool_client(
            UserPoolId=self.user_pool_id,
            ClientName=LOCAL_CLIENT,
            ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        )["UserPoolClient"]["ClientId"]
        self._keys = {key["kid"]: jwt.PyJWK(key).key for key in cognito_jwks()["keys"]}

    @property
    def issuer(self) -> str:
        return f"https://cognito-idp.{self.region}.amazonaws.com/{self.user_pool_id}"

    def client_ids(self) -> list[str]:
        clients = self.cognito.list_user_pool_clients(UserPoolId=self.user_pool_id, MaxResults=60)
        return [client["ClientId"] for client in clients["UserPoolClients"]]

    def sign_in(self, email: str) -> dict[str, Any]:
        """The user's tokens (`IdToken`, `AccessToken`, `RefreshToken`, `ExpiresIn`)."""
        password = f"{secrets.token_urlsafe(18)}aA1"
        try:
            self.cognito.admin_set_user_password(
                UserPoolId=self.user_pool_id, Username=email, Password=password, Permanent=True
            )
            answer = self.cognito.admin_initiate_auth(
                UserPoolId=self.user_pool_id,
                ClientId=self.client_id,
                AuthFlow="ADMIN_USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": email, "PASSWORD": password},
            )
        except ClientError as error:
            raise _failed(error) from error
        result: dict[str, Any] = answer["AuthenticationResult"]
        return result

    def refresh(self, refresh_token: str) -> dict[str, Any]:
        try:
            answer = self.cognito.admin_initiate_auth(
                UserPoolId=self.user_pool_id,
                ClientId=self.client_id,
                AuthFlow="REFRESH_TOKEN_AUTH",
                AuthParameters={"REFRESH_TOKEN": refresh_token},
            )
        except ClientError as error:
            raise _failed(error) from error
        result: dict[str, Any] = answer["AuthenticationResult"]
        return result

    def verify(self, token: str) -> dict[str, Any] | None:
        """The ID token's claims, or None when the authorizer would refuse it (401)."""
        try:
            key = self._keys.get(str(jwt.get_unverified_header(token).get("kid")))
            if key is None:
                return None
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=["RS256"],
                issuer=self.issuer,
                audience=self.client_ids(),
                options={"require": ["exp", "iss", "aud", "token_use"]},
            )
        except jwt.PyJWTError:
            return None
        return claims if claims.get("token_use") == "id" else None


def _failed(error: ClientError) -> SignInFailed:
    code = error.response.get("Error", {}).get("Code", "")
    message = error.response.get("Error", {}).get("Message", "") or code
    if code in ("NotAuthorizedException", "UserLambdaValidationException", "UserNotFoundException"):
        return SignInFailed(message, 401)
    return SignInFailed(message, 400)


def authorizer_context(claims: dict[str, Any]) -> dict[str, Any]:
    """Claims as API Gateway's Cognito authorizer passes them (groups as a comma-separated string)."""
    flat = {key: ",".join(value) if isinstance(value, list) else str(value) for key, value in claims.items()}
    return {"claims": flat}


def token_from(url: str, agent_id: str, timeout: float = 30) -> str:
    """An agent's ID token from a running local stack (`POST /local/token`), e.g. for `kanal token`."""
    import requests

    answer = requests.post(f"{url.rstrip('/')}/local/token", json={"agent_id": agent_id}, timeout=timeout)
    if answer.status_code != 200:
        raise SignInFailed(str(answer.json().get("error") or answer.status_code), answer.status_code)
    return str(answer.json()["token"])
