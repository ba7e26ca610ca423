"""Configuration from the environment: defaults where the contract names one, ConfigError otherwise."""

from __future__ import annotations

import pytest

from kanal.config import Config, ConfigError


@pytest.mark.parametrize(
    ("environ", "scale"),
    [
        ({}, 1.0),
        ({"KANAL_TIME_SCALE": ""}, 1.0),
        ({"KANAL_TIME_SCALE": "1"}, 1.0),
        ({"KANAL_TIME_SCALE": "120"}, 120.0),
        ({"KANAL_TIME_SCALE": "2.5"}, 2.5),
    ],
)
def test_the_time_scale_is_real_time_unless_the_environment_shortens_it(environ, scale):
    assert Config(environ).time_scale == scale


@pytest.mark.parametrize("value", ["0", "0.5", "-3", "fast", "nan", "inf", "1e400"])
def test_a_time_scale_below_one_or_not_a_number_fails_loudly(value):
    with pytest.raises(ConfigError, match="KANAL_TIME_SCALE"):
        _ = Config({"KANAL_TIME_SCALE": value}).time_scale


def test_the_platforms_settings_are_read_and_checked():
    settings = Config(
        {
            "KANAL_GRAPH_BASE_URL": "https://graph.facebook.com/v26.0/",
            "KANAL_X_BASE_URL": "https://api.x.com",
            "KANAL_CHANNEL_RETRY_SECONDS": "12.5",
        }
    )
    assert settings.graph_base_url == "https://graph.facebook.com/v26.0"
    assert settings.x_base_url == "https://api.x.com"
    assert settings.x_reply_policy == "self-serve" and settings.channel_retry_seconds == 12.5
    assert Config({}).channel_retry_seconds == 20
    with pytest.raises(ConfigError):
        Config({}).graph_base_url  # noqa: B018
    for bad in ({"KANAL_X_REPLY_POLICY": "gold"}, {"KANAL_CHANNEL_RETRY_SECONDS": "-1"}):
        with pytest.raises(ConfigError):
            (Config(bad).x_reply_policy, Config(bad).channel_retry_seconds)


def test_the_meta_app_ids_are_read_and_an_empty_bot_means_no_bot():
    both = Config({"KANAL_META_APP_ID": "1517776481860111", "KANAL_META_BOT_APP_ID": " 784512309876543 "})
    assert (both.meta_app_id, both.meta_bot_app_id) == ("1517776481860111", "784512309876543")
    alone = Config({"KANAL_META_APP_ID": "1517776481860111", "KANAL_META_BOT_APP_ID": ""})
    assert alone.meta_bot_app_id is None and Config({}).meta_app_id is None


@pytest.mark.parametrize(
    ("environ", "problem"),
    [
        ({"KANAL_META_BOT_APP_ID": "784512309876543"}, "needs KANAL_META_APP_ID"),
        ({"KANAL_META_APP_ID": "15177764818601x1", "KANAL_META_BOT_APP_ID": "7845"}, "digits only"),
        ({"KANAL_META_APP_ID": "1517", "KANAL_META_BOT_APP_ID": "1517"}, "another app"),
    ],
)
def test_a_bot_without_kanals_own_app_id_or_a_wrong_id_fails_loudly(environ, problem):
    with pytest.raises(ConfigError, match=problem):
        _ = Config(environ).meta_bot_app_id


def test_the_stored_documents_parameters_are_optional_and_their_cache_time_defaults_to_a_minute():
    settings = Config({"KANAL_ESCALATION_PARAMETER": "/kanal/dev/escalation", "KANAL_APPROVAL_PARAMETER": ""})
    assert settings.escalation_parameter == "/kanal/dev/escalation"
    assert settings.approval_parameter is None
    assert settings.documents_cache_seconds == 60
    assert Config({"KANAL_RULES_CACHE_SECONDS": "5"}).documents_cache_seconds == 5


@pytest.mark.parametrize("value", ["-1", "soon", "2.5"])
def test_a_cache_time_that_is_not_whole_seconds_fails_loudly(value):
    with pytest.raises(ConfigError, match="KANAL_RULES_CACHE_SECONDS"):
        _ = Config({"KANAL_RULES_CACHE_SECONDS": value}).documents_cache_seconds


def test_the_runtimes_own_variables_are_read_here_too():
    settings = Config(
        {
            "KANAL_XRAY_SDK": " True ",
            "AWS_LAMBDA_INITIALIZATION_TYPE": "snap-start",
            "AWS_LAMBDA_FUNCTION_NAME": "f",
        }
    )
    assert (
        settings.xray_sdk and settings.initialization_type == "snap-start" and settings.function_name == "f"
    )
    assert not Config({}).xray_sdk and Config({}).function_name == "test-func"
