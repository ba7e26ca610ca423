"""The channel rule: each channel's first-response targets per band, and the channels customers expect to
answer fast."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from kanal.model import Channel
from kanal.priority.facts import BANDS, Built, Doc, Facts, Hit, Rule, Types, common, dict_of, number_of

CHANNELS = tuple(c.value for c in Channel)
DEFAULT_KEY = "default"


@dataclass(frozen=True)
class ChannelRule(Rule):
    """Each channel's first-response targets per band; channels customers expect fast add the weight."""

    fast_channels: frozenset[str]
    sla_minutes: Mapping[str, Mapping[str, int]]

    def evaluate(self, facts: Facts) -> Hit | None:
        channel = str(facts.inquiry.channel)
        return Hit(channel, self.weight, self.min_band) if channel in self.fast_channels else None

    def target_minutes(self, channel: str, band: str) -> int:
        targets = self.sla_minutes.get(channel) or self.sla_minutes[DEFAULT_KEY]
        return targets[band]


def check_channel(rule: Doc, path: str, types: Types) -> list[str]:
    sla = dict_of(rule.get("sla_minutes"))
    errors: list[str] = []
    for channel, targets in sla.items():
        minutes = [number_of(dict_of(targets).get(band)) for band in BANDS]
        known = [m for m in minutes if m is not None]
        if known != sorted(known):
            errors.append(f"{path}.sla_minutes.{channel}: targets must not shrink from P1 to P4 ({known})")
    missing = [c for c in CHANNELS if c not in sla]
    if DEFAULT_KEY not in sla and missing:
        errors.append(f"{path}.sla_minutes: no target for {', '.join(missing)} and no 'default'")
    return errors


def build_channel(doc: Doc, rule_id: str, slot: int, built: Built) -> Rule:
    sla = {channel: dict(targets) for channel, targets in doc["sla_minutes"].items()}
    return ChannelRule(
        **common(doc, rule_id), fast_channels=frozenset(doc.get("fast_channels", [])), sla_minutes=sla
    )
