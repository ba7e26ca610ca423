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
