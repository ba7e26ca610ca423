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
