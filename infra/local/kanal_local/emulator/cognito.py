"""The emulator's Cognito as the template needs it: items 12-14 of `needs.py`, kept here in one piece
(`needs.install` puts them in place). Tests: `tests/integration/test_emulator_needs.py`.

12. Cognito in CloudFormation: moto's CloudFormation has no `AWS::Cognito::*` type, so the template's
   user pool and its clients would be left out. `CognitoUserPoolResource` and
   `CognitoUserPoolClientResource` create them through moto's Cognito backend from the template's own
   properties (schema, `LambdaConfig`, MFA, token lifetimes; `Ref` is the pool's or client's id, `Arn`
   the pool's ARN), so what references them (the API function's environment and IAM policy, the
   trigger's permission) gets the real ids. The user pool domain (managed login) stays left out.
13. Cognito triggers: moto runs no Lambda trigger. Before moto writes an ID token (sign-in and refresh
   alike), the pool's pre-token-generation function (`LambdaConfig.PreTokenGenerationConfig`, event
   version V1_0) is invoked through the local runtime with Cognito's documented event; its
   `claimsToAddOrOverride`, `claimsToSuppress` (of the claims moto adds beyond the standard ones) and
   `groupOverrideDetails.groupsToOverride` shape the token; a trigger that fails fails the sign-in with
   `UserLambdaValidationException`, as in AWS. Other triggers are not run. A refresh token moto never
   issued is refused with `NotAuthorizedException`, as Cognito does (moto raised a `KeyError`).
14. Cognito's signing keys: moto signs every pool's tokens with one RSA key (kid `dummy`) and serves its
   public half at `/{user_pool_id}/.well-known/jwks.json`; `cognito_jwks` reads that same document for
   the local gateway's check. Nothing is patched for it.
"""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable
from typing import Any

from moto.cloudformation import parsing as cfn_parsing
from moto.cognitoidp.exceptions import NotAuthorizedError
from moto.cognitoidp.models import CognitoIdpBackend, CognitoIdpUserPool, cognitoidp_backends
from moto.core.common_models import CloudFormationModel
from moto.core.exceptions import JsonRESTError
from moto.utilities.utils import load_resource

Invoke = Callable[[str, Any], tuple[Any, str | None]]  # (function name, event) -> (result, error type)

_installed: dict[str, Any] = {}
_moto_create_id_token = CognitoIdpUserPool.create_id_token
_moto_create_jwt = CognitoIdpUserPool.create_jwt
_moto_tokens_from_refresh_token = CognitoIdpUserPool.create_tokens_from_refresh_token
_moto_admin_initiate_auth = CognitoIdpBackend.admin_initiate_auth
_moto_initiate_auth = CognitoIdpBackend.initiate_auth


def install(invoke: Invoke) -> None:
    """Run the pre-token trigger through ``invoke``; the patches go in once, ``invoke`` is replaced."""
    _installed["invoke"] = invoke
    if "patched" in _installed:
        return
    _installed["patched"] = True
    cfn_parsing.get_model_map.cache_clear()  # the Cognito resources below (12.) join moto's types
    cfn_parsing.get_name_type_map.cache_clear()
    CognitoIdpUserPool.create_id_token = _create_id_token  # type: ignore[method-assign]
    CognitoIdpUserPool.create_jwt = _create_jwt  # type: ignore[method-assign]
    CognitoIdpUserPool.create_tokens_from_refresh_token = _tokens_from_refresh_token  # type: ignore[method-assign]
    CognitoIdpBackend.admin_initiate_auth = _with_flow(_moto_admin_initiate_auth, 2)  # type: ignore[method-assign]
    CognitoIdpBackend.initiate_auth = _with_flow(_moto_initiate_auth, 1)  # type: ignore[method-assign]


def uninstall() -> None:
    if not _installed:
        return
    CognitoIdpUserPool.create_id_token = _moto_create_id_token  # type: ignore[method-assign]
    CognitoIdpUserPool.create_jwt = _moto_create_jwt  # type: ignore[method-assign]
    CognitoIdpUserPool.create_tokens_from_refresh_token = _moto_tokens_from_refresh_token  # type: ignore[method-assign]
    CognitoIdpBackend.admin_initiate_auth = _moto_admin_initiate_auth  # type: ignore[method-assign]
    CognitoIdpBackend.initiate_auth = _moto_initiate_auth  # type: ignore[method-assign]
    _installed.clear()


# -------------------------------------------------------------------------- 12. Cognito in CloudFormation


class CognitoUserPoolResource(CloudFormationModel):
    """`AWS::Cognito::UserPool` for moto's CloudFormation, created by moto's own Cognito backend."""

    def __init__(self, pool: CognitoIdpUserPool) -> None:
        self.pool = pool

    @staticmethod
    def cloudformation_name_type() -> str:
        return "UserPoolName"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Cognito::UserPool"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in ("Arn", "ProviderName", "ProviderURL", "UserPoolId")

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **_: Any,
    ) -> CognitoUserPoolResource:
        properties = dict(cloudformation_json.get("Properties") or {})
        properties.pop("UserPoolName", None)
        enabled_mfas = properties.pop("EnabledMfas", None) or []
        backend = cognitoidp_backends[account_id][region_name]
        pool = backend.create_user_pool(resource_name, properties)
        if pool.mfa_config != "OFF":
            token_mfa = {"Enabled": "SOFTWARE_TOKEN_MFA" in enabled_mfas}
            backend.set_user_pool_mfa_config(pool.id, None, token_mfa, pool.mfa_config)  # type: ignore[arg-type]
        return cls(pool)

    @property
    def physical_resource_id(self) -> str:
        return str(self.pool.id)

    def get_cfn_attribute(self, attribute_name: str) -> str:
        provider = f"cognito-idp.{self.pool.region}.amazonaws.com/{self.pool.id}"
        values = {
            "Arn": self.pool.arn,
            "UserPoolId": self.pool.id,
            "ProviderName": provider,
            "ProviderURL": f"https://{provider}",
        }
        return str(values[attribute_name])


class CognitoUserPoolClientResource(CloudFormationModel):
    """`AWS::Cognito::UserPoolClient` for moto's CloudFormation."""

    def __init__(self, client: Any) -> None:
        self.client = client

    @staticmethod
    def cloudformation_name_type() -> str:
        return "ClientName"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Cognito::UserPoolClient"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in ("ClientId", "ClientSecret", "Name")

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **_: Any,
    ) -> CognitoUserPoolClientResource:
        properties = dict(cloudformation_json.get("Properties") or {})
        pool_id = properties.pop("UserPoolId")
        secret = str(properties.pop("GenerateSecret", False)).lower() == "true"
        properties["ClientName"] = resource_name
        backend = cognitoidp_backends[account_id][region_name]
        return cls(backend.create_user_pool_client(pool_id, secret, properties))

    @property
    def physical_resource_id(self) -> str:
        return str(self.client.id)

    def get_cfn_attribute(self, attribute_name: str) -> str:
        values = {
            "ClientId": self.client.id,
            "ClientSecret": self.client.secret,
            "Name": self.client.extended_config.get("ClientName"),
        }
        return str(values[attribute_name])


# ------------------------------------------------------------------------------ 13. the pre-token trigger

_token_flow: contextvars.ContextVar[str] = contextvars.ContextVar("token_flow", default="Authentication")
_claims_override: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "claims_override", default=None
)
REFRESH_FLOWS = ("REFRESH_TOKEN", "REFRESH_TOKEN_AUTH")


def _with_flow(method: Callable[..., Any], position: int) -> Callable[..., Any]:
    """Remember whether tokens are being issued for a sign-in or a refresh (the trigger's source);
    ``position``: where the method takes ``auth_flow``."""

    @functools.wraps(method)
    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        flow = kwargs.get("auth_flow", args[position] if len(args) > position else "")
        token = _token_flow.set("RefreshTokens" if str(flow) in REFRESH_FLOWS else "Authentication")
        try:
            return method(self, *args, **kwargs)
        finally:
            _token_flow.reset(token)

    return call


def pre_token_trigger(pool: CognitoIdpUserPool) -> str | None:
    """The ARN of the pool's pre-token-generation function, if it has one."""
    config = pool.extended_config.get("LambdaConfig") or {}
    arn = (config.get("PreTokenGenerationConfig") or {}).get("LambdaArn") or config.get("PreTokenGeneration")
    return str(arn) if arn else None


def pre_token_event(pool: CognitoIdpUserPool, client_id: str, username: str) -> dict[str, Any]:
    """The V1_0 event Cognito sends (user-pool-lambda-pre-token-generation.html)."""
    user = pool._get_user(username)
    attributes = {a["Name"]: a["Value"] for a in user.attributes}
    status = getattr(user.status, "value", user.status)  # moto's UserStatus (its annotation says str)
    attributes.update({"sub": user.id, "cognito:user_status": str(status)})
    return {
        "version": "1",
        "triggerSource": f"TokenGeneration_{_token_flow.get()}",
        "region": pool.region,
        "userPoolId": pool.id,
        "userName": user.username,
        "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": client_id},
        "request": {
            "userAttributes": attributes,
            "groupConfiguration": {
                "groupsToOverride": [group.group_name for group in user.groups],
                "iamRolesToOverride": [],
                "preferredRole": None,
            },
        },
        "response": {"claimsOverrideDetails": None},
    }


def _create_id_token(self: CognitoIdpUserPool, client_id: str, username: str, origin_jti: str) -> Any:
    arn = pre_token_trigger(self)
    if arn is None or "invoke" not in _installed:
        return _moto_create_id_token(self, client_id, username, origin_jti)
    result, error = _installed["invoke"](arn.rsplit(":", 1)[-1], pre_token_event(self, client_id, username))
    if error is not None:
        message = (result or {}).get("errorMessage") if isinstance(result, dict) else None
        raise JsonRESTError(
            "UserLambdaValidationException", f"PreTokenGeneration failed with error {message or error}."
        )
    details = ((result or {}).get("response") or {}).get("claimsOverrideDetails") or {}
    override = _claims_override.set(details)
    try:
        return _moto_create_id_token(self, client_id, username, origin_jti)
    finally:
        _claims_override.reset(override)


def _create_jwt(
    self: CognitoIdpUserPool,
    client_id: str,
    username: str,
    token_use: str,
    expires_in: int = 60 * 60,
    extra_data: dict[str, Any] | None = None,
) -> tuple[str, int]:
    details = _claims_override.get()
    if details and token_use == "id":
        extra = dict(extra_data or {})
        groups = (details.get("groupOverrideDetails") or {}).get("groupsToOverride")
        if groups is not None:
            extra.pop("cognito:groups", None)
            if groups:
                extra["cognito:groups"] = list(groups)
        extra.update(details.get("claimsToAddOrOverride") or {})
        for claim in details.get("claimsToSuppress") or []:
            extra.pop(claim, None)
        extra_data = extra
    return _moto_create_jwt(self, client_id, username, token_use, expires_in, extra_data)  # type: ignore[no-any-return]


def _tokens_from_refresh_token(self: CognitoIdpUserPool, refresh_token: str) -> tuple[str, str, int]:
    if refresh_token not in self.refresh_tokens:
        raise NotAuthorizedError("Invalid Refresh Token")
    return _moto_tokens_from_refresh_token(self, refresh_token)  # type: ignore[no-any-return]


# ----------------------------------------------------------------------------- 14. Cognito's signing keys


def cognito_jwks() -> dict[str, Any]:
    """The JSON Web Key Set moto serves at `/{user_pool_id}/.well-known/jwks.json` (every pool's)."""
    keys: dict[str, Any] = load_resource("cognitoidp/resources/jwks-public.json")
    return keys
