"""What the local stack serves for the console: the page and its files (with a content security policy),
its config, and the local sign-in (the seeded agents, a token as `kanal token` mints it)."""

from __future__ import annotations

import pytest

from kanal_local.auth import verify


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


def test_the_local_sign_in_lists_the_seeded_agents_and_mints_their_tokens(local, http):
    agents = http.get(f"{local.url}/local/agents").json()["items"]
    lena = next(a for a in agents if a["id"] == "lena")
    assert lena == {"id": "lena", "name": "Lena Hoffmann", "teams": ["social"], "groups": ["agents", "leads"]}
    assert all("email" not in a and "phone" not in a for a in agents)
    answer = http.post(f"{local.url}/local/token", json={"agent_id": "lena"})
    claims = verify(answer.json()["token"])
    assert claims is not None and claims["cognito:username"] == "lena"
    assert claims["cognito:groups"] == ["agents", "leads"]
    queue = http.get(
        f"{local.url}/api/inquiries", headers={"Authorization": f"Bearer {answer.json()['token']}"}
    )
    assert queue.status_code == 200


@pytest.mark.parametrize("body", [b"", b"not json", b'{"agent_id": "nobody"}', b'{"agent_id": 7}', b"[]"])
def test_a_token_for_anyone_but_a_seeded_agent_is_a_400(local, http, body):
    answer = http.post(f"{local.url}/local/token", data=body, headers={"Content-Type": "application/json"})
    assert answer.status_code == 400
    assert "token" not in answer.json() and answer.json()["error"]
