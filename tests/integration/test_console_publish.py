"""The console's deployment: the template's console bucket exists in the emulator, and `kanal console
publish` puts the page and a config.json built from the stack's outputs into it."""

from __future__ import annotations

import json

from kanal_local.console import CONSOLE_DIR, files, publish


def test_publishing_puts_every_console_file_and_the_cognito_settings_into_the_console_bucket(local):
    stack = local.stack
    s3 = stack.client("s3")
    bucket = stack.outputs["ConsoleBucketName"]
    # When the console is published to the stack's bucket
    keys = publish(s3, stack.outputs, stack.region)
    # Then every file is there byte for byte, with a type the browser runs
    stored = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]}
    assert {p.as_posix() for p in files()} | {"config.json"} == stored == set(keys)
    app = s3.get_object(Bucket=bucket, Key="assets/app.js")
    assert app["ContentType"] == "text/javascript; charset=utf-8"
    assert app["Body"].read() == (CONSOLE_DIR / "assets/app.js").read_bytes()
    # And config.json points the page at the distribution's own /api and at the user pool's console client
    config = json.loads(s3.get_object(Bucket=bucket, Key="config.json")["Body"].read())
    console = stack.outputs["ConsoleDistributionUrl"]
    assert config["auth"] == "cognito"
    assert config["api_base_url"] == console
    assert config["cognito"] == {
        "domain": f"https://{stack.outputs['UserPoolDomain']}.auth.{stack.region}.amazoncognito.com",
        "client_id": stack.outputs["ConsoleUserPoolClientId"],
        "redirect_uri": f"{console}/",
        "logout_uri": f"{console}/",
        "scopes": ["openid", "email", "profile"],
    }
