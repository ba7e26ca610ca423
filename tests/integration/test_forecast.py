"""The staffing forecast on a recorded day, end to end on the local stack over HTTP: signed webhooks become
inquiries, ingest counts each new inquiry in its hour, and `GET /api/forecast?day=...` and
`kanal forecast --day ...` show those arrivals in their hour with the agents they need.

The messages are dated on a day of their own (a random day of 2001-2020, far from every other test's
traffic), so that day's counters hold exactly what this module sent.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import requests

from kanal.reporting.forecast import Target, required
from kanal_local.cli import main
from tests import tokens
from tests.conftest import eventually, load_event
from tests.integration.deliveries import accepted, deliver, wait_for_message

pytestmark = pytest.mark.integration

DAY = date(2001, 1, 1) + timedelta(days=uuid.uuid4().int % 7300)
ADMIN = tokens.Bearer("admin")
EXPECTED = [0.0] * 9 + [3.0] + [0.0] * 4 + [3.0] + [0.0] * 9  # 3 at 09:00, 3 at 14:00


def at(hour: int, minute: int, day: date = DAY) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def whatsapp(local, http, when: datetime, sender: str | None = None) -> tuple[str, str]:
    """A WhatsApp text written at ``when`` (by a new customer unless ``sender``): (sender, message id)."""
    event = load_event("meta/whatsapp_text.json")
    value = event["entry"][0]["changes"][0]["value"]
    sender = sender or f"49152{uuid.uuid4().int % 10**8:08d}"
    value["contacts"][0]["wa_id"] = sender
    message = value["messages"][0]
    message["from"], message["id"] = sender, f"wamid.{uuid.uuid4().hex}"
    message["timestamp"] = str(int(when.timestamp()))
    assert accepted(deliver(http, local, "meta", event)) == 1
    return sender, message["id"]


def messenger(local, http, when: datetime) -> dict[str, Any]:
    """A Messenger text written at ``when`` by a new customer: the delivery, to send again."""
    event = load_event("meta/messenger_text.json")
    messaging = event["entry"][0]["messaging"][0]
    messaging["sender"]["id"] = str(uuid.uuid4().int % 10**15)
    messaging["message"]["mid"] = f"m_{uuid.uuid4().hex}"
    messaging["timestamp"] = int(when.timestamp() * 1000)
    assert accepted(deliver(http, local, "meta", event)) == 1
    return event


def forecast(local, http, headers=ADMIN, **params) -> requests.Response:
    return http.get(f"{local.url}/api/forecast", params=params, headers=headers, timeout=30)


def day_forecast(local, http, **params) -> dict[str, Any]:
    response = forecast(local, http, aht="6m", sla="80/60s", **params)
    assert response.status_code == 200, response.text
    return response.json()


def arrivals(local, http, **params) -> list[float]:
    return [row["inquiries"] for row in day_forecast(local, http, **params)["hours"]]


@pytest.fixture(scope="module")
def recorded(local) -> requests.Session:
    """Six inquiries on DAY: three WhatsApp at 09:xx, two WhatsApp and one Messenger at 14:xx. Three more
    messages open none: a follow-up by the 09:05 customer, the Messenger delivery sent again, and a message
    of the next day, which counts on that day."""
    http = requests.Session()
    first, first_id = whatsapp(local, http, at(9, 5))
    whatsapp(local, http, at(9, 40))
    whatsapp(local, http, at(9, 59))
    whatsapp(local, http, at(14, 10))
    whatsapp(local, http, at(14, 30))
    delivery = messenger(local, http, at(14, 20))
    wait_for_message(local, "whatsapp", first_id)
    _, follow_up = whatsapp(local, http, at(9, 50), sender=first)
    assert accepted(deliver(http, local, "meta", delivery)) == 1
    _, next_day = whatsapp(local, http, at(0, 1, DAY + timedelta(days=1)))
    for message_id in (follow_up, next_day):
        wait_for_message(local, "whatsapp", message_id)
    eventually(lambda: arrivals(local, http, day=str(DAY + timedelta(days=1)))[0] == 1.0, timeout=30)
    eventually(lambda: arrivals(local, http, day=str(DAY)) == EXPECTED, timeout=30)
    return http


def test_a_recorded_day_shows_each_new_inquiry_in_its_hour(local, recorded):
    assert arrivals(local, recorded, day=str(DAY)) == EXPECTED
    whatsapp_only = arrivals(local, recorded, day=str(DAY), channel="whatsapp")
    assert (whatsapp_only[9], whatsapp_only[14]) == (3.0, 2.0)
    assert arrivals(local, recorded, day=str(DAY), channel="messenger")[14] == 1.0
    assert arrivals(local, recorded, day=str(DAY + timedelta(days=1)))[0] == 1.0


def test_the_forecast_staffs_each_recorded_hour_and_nobody_for_an_empty_one(local, recorded):
    answer = day_forecast(local, recorded, day=str(DAY), shrinkage="30%")

    nine = answer["hours"][9]
    assert nine["agents"] == required(3, 360, Target(0.8, 60)).agents >= 1
    assert nine["scheduled"] >= nine["agents"]
    assert nine["service_level"] >= 0.8
    assert all(row["agents"] == 0 for row in answer["hours"] if row["inquiries"] == 0)
    assert answer["inputs"] == {
        "rate_per_hour": None,
        "day": str(DAY),
        "channel": None,
        "aht_seconds": 360.0,
        "sla": {"share": 0.8, "within_seconds": 60.0},
        "shrinkage": 0.3,
        "max_occupancy": 1.0,
        "hours_in": "UTC",
    }


def test_kanal_forecast_day_prints_the_hours_through_the_api_and_directly(local, recorded, capsys):
    common = ["forecast", "--day", str(DAY), "--aht", "6m", "--sla", "80/60s"]

    assert main([*common, "--url", local.url]) == 0
    table = capsys.readouterr().out
    assert main([*common, "--url", local.url, "--json"]) == 0
    through_api = json.loads(capsys.readouterr().out)
    endpoint = f"http://127.0.0.1:{local.stack.aws_port}"
    assert main([*common, "--direct", "--endpoint-url", endpoint, "--json"]) == 0
    direct = json.loads(capsys.readouterr().out)

    rows = {line.split()[0]: line.split() for line in table.splitlines() if line[2:3] == ":"}
    assert rows["09:00"][1] == "3" and rows["14:00"][1] == "3" and rows["10:00"][1] == "0"
    assert rows["09:00"][3] == str(through_api["hours"][9]["agents"])
    assert "6 inquiries" in table
    assert direct["hours"] == through_api["hours"]


def test_kanal_forecast_day_today_counts_a_message_sent_now(local, capsys):
    http = requests.Session()
    now = datetime.now(UTC)
    before = arrivals(local, http, day="today")[now.hour]
    _, message_id = whatsapp(local, http, now)
    wait_for_message(local, "whatsapp", message_id)

    def counted() -> dict[str, Any] | None:
        assert (
            main(
                ["forecast", "--day", "today", "--aht", "6m", "--sla", "80/60s", "--url", local.url, "--json"]
            )
            == 0
        )
        answer = json.loads(capsys.readouterr().out)
        return answer if answer["hours"][now.hour]["inquiries"] >= before + 1 else None

    answer = eventually(counted, timeout=30)
    assert answer["inputs"]["day"] == now.date().isoformat()
    assert answer["hours"][now.hour]["agents"] >= 1


def test_an_agent_is_refused_and_bad_parameters_are_a_400_naming_each(local, recorded):
    agent = tokens.bearer("jonas", ["agents"])
    assert forecast(local, recorded, headers=agent, rate="900/h", aht="6m", sla="80/120m").status_code == 403
    lead = tokens.bearer("lena", ["agents", "leads"])
    assert forecast(local, recorded, headers=lead, rate="900/h", aht="6m", sla="80/120m").status_code == 200

    refused = forecast(local, recorded, rate="abc", aht="6", sla="80/120m", day="today")

    assert refused.status_code == 400
    errors = refused.json()["errors"]
    assert sorted(e.split(":")[0] for e in errors) == ["$", "$.aht", "$.rate"]


def test_kanal_forecast_reports_what_the_api_refused(local, capsys):
    assert (
        main(
            [
                "forecast",
                "--day",
                str(DAY),
                "--aht",
                "6m",
                "--sla",
                "80/60s",
                "--url",
                local.url,
                "--token",
                "forged",
            ]
        )
        == 1
    )
    assert "401" in capsys.readouterr().err
