"""The reports table: pre-aggregated counters, one item per (group, day, hour).

pk=COUNT#<group>#<YYYY-MM-DD>  sk=<HH>  arrivals   inquiries opened in that UTC hour

An arrival is one UpdateItem ``ADD arrivals 1`` per group: atomic, and it creates the item at 0 when it is
missing ("If you use ADD to increment or decrement a number value for an item that doesn't exist before
the update, DynamoDB uses 0 as the initial value", DynamoDB API Reference, AttributeValueUpdate:
https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_AttributeValueUpdate.html). A day is
one Query on its partition: at most 24 items.
"""

from __future__ import annotations

from datetime import date

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from kanal.config import Config
from kanal.reporting.counters import HOURS


class CounterItem(Model):
    class Meta:
        table_name = "unbound"
        region: str | None = None

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    arrivals = NumberAttribute(default=0)


def bind_reports(config: Config) -> None:
    CounterItem.Meta.table_name = config.reports_table
    CounterItem.Meta.region = config.region
    CounterItem._connection = None


def partition(group: str, day: date) -> str:
    """The partition of a group's day (also read by `kanal forecast --direct`)."""
    return f"COUNT#{group}#{day.isoformat()}"


class DynamoCounters:
    """``kanal.reporting.counters.ArrivalCounts`` on the reports table."""

    def add(self, groups: tuple[str, ...], day: date, hour: int) -> None:
        for group in groups:
            CounterItem(partition(group, day), f"{hour:02d}").update(actions=[CounterItem.arrivals.add(1)])

    def day(self, group: str, day: date) -> list[int]:
        counts = [0] * HOURS
        for item in CounterItem.query(partition(group, day)):
            counts[int(item.sk)] = int(item.arrivals)
        return counts
