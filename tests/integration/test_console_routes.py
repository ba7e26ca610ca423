"""What the local stack serves for the console: the page and its files (with a content security policy),
its config, and the local sign-in (the seeded agents, their tokens from the emulator's Cognito as `kanal
token` prints them, and the silent refresh)."""

from __future__ import annotations

import pytest

from tests import tokens


def test_the_page_its_files_and_its_config_are_served_with_a_strict_content_security_policy(local, http):
    page = http.get(f"{local.url}/")
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    script = http.get(f"{local.url}/assets/app.js")
    assert script.status_code == 200 and script.headers["Content-Type"].startswith("text/javascript")
    german = http.get(f"{local.url}/assets/strings/de.json").json()
    assert german["nav.queue"] == "Warteschlange"
    assert http.get(f"{local.url}/config.json").json() == {
        "auth": "local",
        "api_base_url": "",
        "notifications": True,
    }


@pytest.mark.parametrize(
    "path", ["/assets/../../template.yaml", "/assets/%2e%2e/index.html", "/assets/none.js"]
)
def test_nothing_outside_the_console_files_is_served(local, http, path):
    answer = http.get(f"{local.url}{path}")
    assert answer.status_code in (403, 404)  # a client may resolve the dots first: then no route is there
    assert "Resources" not in answer.text


def test_the_local_sign_in_lists_the_seeded_agents_and_signs_them_in_through_cognito(local, http):
    agents = http.get(f"{local.url}/local/agents").json()["items"]
    lena = next(a for a in agents if a["id"] == "lena")
    assert lena == {"id": "lena", "name": "Lena Hoffmann", "teams": ["social"], "groups": ["agents", "leads"]}
    assert all("email" not in a and "phone" not in a for a in agents)
    answer = http.post(f"{local.url}/local/token", json={"agent_id": "lena"})
    claims = local.stack.sign_in.verify(answer.json()["token"])
    assert claims is not None and claims["kanal:agent_id"] == "lena"
    assert claims["cognito:groups"] == ["agents", "leads"]
    assert claims["iss"].endswith(local.stack.physical("UserPool")) and claims["token_use"] == "id"
    assert answer.json()["expires_in"] == 3600 and answer.json()["refresh_token"]
    queue = http.get(
        f"{local.url}/api/inquiries", headers={"Authorization": f"Bearer {answer.json()['token']}"}
    )
    assert queue.status_code == 200


@pytest.mark.parametrize("body", [b"", b"not json", b'{"agent_id": "nobody"}', b'{"agent_id": 7}', b"[]"])
def test_a_token_for_anyone_but_a_seeded_agent_is_a_400(local, http, body):
    answer = http.post(f"{local.url}/local/token", data=body, headers={"Content-Type": "application/json"})
    assert answer.status_code == 400
    assert "token" not in answer.json() and answer.json()["error"]


def test_the_console_refreshes_a_token_and_the_refresh_reads_the_organisation_again(
    local, http, admin_headers
):
    # Given lena signed in, and an admin who then gives her team's agent jonas the leads group
    signed = http.post(f"{local.url}/local/token", json={"agent_id": "jonas"}).json()
    assert tokens.claims(signed["token"])["cognito:groups"] == ["agents"]
    jonas = next(
        a
        for a in http.get(f"{local.url}/api/agents", headers=admin_headers).json()["items"]
        if a["id"] == "jonas"
    )
    profile = {k: v for k, v in jonas.items() if k not in ("status", "open_caseload", "figures")}
    try:
        assert (
            http.put(
                f"{local.url}/api/agents/jonas",
                json={**profile, "groups": ["agents", "leads"]},
                headers=admin_headers,
            ).status_code
            == 200
        )
        # When the console refreshes silently
        refreshed = http.post(
            f"{local.url}/local/token/refresh", json={"refresh_token": signed["refresh_token"]}
        )
        # Then the new ID token carries the group, from the trigger run again
        assert refreshed.status_code == 200
        assert tokens.claims(refreshed.json()["token"])["cognito:groups"] == ["agents", "leads"]
        assert tokens.claims(refreshed.json()["token"])["kanal:agent_id"] == "jonas"
    finally:
        http.put(f"{local.url}/api/agents/jonas", json=profile, headers=admin_headers)
    unknown = http.post(f"{local.url}/local/token/refresh", json={"refresh_token": "never-issued"})
    assert unknown.status_code == 401 and unknown.json()["error"]
    for body in (b"", b'{"refresh_token": ""}', b"[]"):
        answer = http.post(
            f"{local.url}/local/token/refresh", data=body, headers={"Content-Type": "application/json"}
        )
        assert answer.status_code == 400 and answer.json()["error"]
