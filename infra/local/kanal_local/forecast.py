"""`kanal forecast`: the agents each hour needs to meet a service level (Erlang C, `kanal.reporting`).

Three curves:
- ``--rate 900/h``: a constant rate, one row for every hour;
- ``--curve FILE.csv``: a planned volume curve, ``hour,inquiries`` (see ``kanal.reporting.inputs``);
- ``--day YYYY-MM-DD|today|yesterday``: a recorded day's arrivals per UTC hour, read through the agent API
  (``GET /api/forecast`` at ``--url`` with ``--token``; locally ``admin`` signs in through the stack) or, with
  ``--direct``, from the reports table itself (the local stack's emulator, or ``--stack NAME`` in AWS).

Rates and curves are computed here, with no stack. Each prints a table, or with ``--json`` the answer
``GET /api/forecast`` gives.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import boto3
import requests

from kanal.adapters.counters import partition
from kanal.api.forecast import Request, hour_view, inputs_view
from kanal.reporting import inputs
from kanal.reporting.counters import ALL, HOURS, channel_group
from kanal.reporting.forecast import day_curve, plan
from kanal_local.stack import REGION, STACK_NAME

CHANNELS = ("facebook", "messenger", "instagram", "whatsapp", "x", "email")


class ForecastFailed(Exception):
    """The stack could not answer (not running, refused the token, or a 4xx)."""


def argument(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """An argparse type from an input parser: its ValueError becomes a usage error (exit 2)."""

    def typed(text: str) -> Any:
        try:
            return parse(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(f"{text!r} {error}") from None

    typed.__name__ = parse.__name__.removeprefix("parse_")
    return typed


def add_parser(commands: Any) -> None:
    sub = commands.add_parser(
        "forecast",
        help="agents needed per hour to meet a service level (Erlang C)",
        description="Agents needed per hour to meet a service level (Erlang C). Hours are UTC.",
    )
    curve = sub.add_mutually_exclusive_group(required=True)
    curve.add_argument("--rate", type=argument(inputs.parse_rate), help="a constant rate: 900/h, 15/min")
    curve.add_argument(
        "--curve", type=Path, metavar="FILE.csv", help="a planned curve: CSV `hour,inquiries`, hours 0-23"
    )
    curve.add_argument("--day", metavar="DAY", help="a recorded day: YYYY-MM-DD, today or yesterday (UTC)")
    sub.add_argument("--aht", required=True, type=argument(inputs.parse_duration), help="handle time: 6m")
    sub.add_argument("--sla", required=True, type=argument(inputs.parse_target), help="PERCENT/TIME: 80/120m")
    sub.add_argument("--shrinkage", type=argument(inputs.parse_shrinkage), default=0.0, help="30%%")
    sub.add_argument(
        "--max-occupancy", type=argument(inputs.parse_occupancy), default=1.0, help="at most 85%% busy"
    )
    sub.add_argument("--channel", choices=CHANNELS, help="with --day: only this channel's arrivals")
    sub.add_argument("--url", default=None, help="the agent API's base URL (default: the local stack)")
    sub.add_argument("--token", default=None, help="bearer token (default $KANAL_TOKEN, or a local admin's)")
    sub.add_argument("--direct", action="store_true", help="with --day: read the reports table itself")
    sub.add_argument("--stack", default=None, help="with --direct: a deployed CloudFormation stack")
    sub.add_argument("--endpoint-url", default=None, help="with --direct: an AWS endpoint (emulator)")
    sub.add_argument("--region", default=None)
    sub.add_argument("--json", action="store_true", help="print the JSON answer instead of a table")
    sub.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    problem = _misuse(args)
    if problem:
        print(f"kanal forecast: error: {problem}", file=sys.stderr)
        return 2
    try:
        answer = _answer(args)
    except ValueError as error:  # a curve file that is not one
        print(f"kanal forecast: error: --curve {error}", file=sys.stderr)
        return 2
    except ForecastFailed as error:
        print(f"kanal forecast: {error}", file=sys.stderr)
        return 1
    print(json.dumps(answer, indent=2) if args.json else render(answer))
    return 0


def _misuse(args: argparse.Namespace) -> str | None:
    if args.channel and not args.day:
        return "--channel only with --day"
    if (args.direct or args.stack or args.endpoint_url) and not args.day:
        return "--direct, --stack and --endpoint-url only with --day"
    if args.day:
        try:
            inputs.parse_day(args.day, datetime.now(UTC).date())
        except ValueError as error:
            return f"argument --day: {args.day!r} {error}"
    return None


def _answer(args: argparse.Namespace) -> dict[str, Any]:
    if args.day and not args.direct:
        return _from_api(args)
    day = inputs.parse_day(args.day, datetime.now(UTC).date()) if args.day else None
    if day is not None:
        curve = day_curve(_counts(args, day))
    elif args.curve is not None:
        curve = inputs.parse_curve(_read(args.curve))
    else:
        curve = [(None, args.rate)]
    inputs.check_curve(curve, args.aht)
    request = Request(args.aht, args.sla, args.shrinkage, args.max_occupancy, args.rate, day, args.channel)
    hours = plan(curve, args.aht, args.sla, args.shrinkage, args.max_occupancy)
    return {"hours": [hour_view(hour) for hour in hours], "inputs": inputs_view(request)}


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ValueError(f"{path}: cannot be read ({type(error).__name__})") from None


def _from_api(args: argparse.Namespace) -> dict[str, Any]:
    base = (args.url or f"http://127.0.0.1:{os.environ.get('KANAL_PORT') or 8787}").rstrip("/")
    params = {
        "day": args.day,
        "aht": f"{args.aht:g}s",
        "sla": f"{args.sla.share * 100:g}/{args.sla.seconds:g}s",
        "shrinkage": f"{args.shrinkage * 100:g}",
        "max_occupancy": f"{args.max_occupancy * 100:g}",
        **({"channel": args.channel} if args.channel else {}),
    }
    try:
        headers = {"Authorization": f"Bearer {_token(args, base)}"}
        response = requests.get(f"{base}/api/forecast", params=params, headers=headers, timeout=30)
    except requests.ConnectionError:
        raise ForecastFailed(
            f"no Kanal API at {base}; is `kanal local` running? Pass --url, or --direct --stack NAME."
        ) from None
    if response.status_code != 200:
        raise ForecastFailed(f"{base} answered {response.status_code}: {response.text.strip()[:500]}")
    answer: dict[str, Any] = response.json()
    return answer


def _token(args: argparse.Namespace, base: str) -> str:
    if args.token or os.environ.get("KANAL_TOKEN"):
        return str(args.token or os.environ["KANAL_TOKEN"])
    from kanal_local.auth import SignInFailed, token_from

    try:
        return token_from(base, "admin")
    except SignInFailed as error:
        raise ForecastFailed(f"{base} signed no admin in: {error}") from None


def _counts(args: argparse.Namespace, day: date) -> list[int]:
    """The day's hourly counts from the reports table: one Query of its partition."""
    local = args.stack is None
    kwargs: dict[str, Any] = {"region_name": args.region or (REGION if local else None)}
    endpoint = args.endpoint_url
    if local and endpoint is None:
        port = int(os.environ.get("KANAL_AWS_PORT") or int(os.environ.get("KANAL_PORT") or 8787) + 1)
        endpoint = f"http://127.0.0.1:{port}"
    if endpoint:
        kwargs["endpoint_url"] = endpoint
    if local:
        kwargs.update(aws_access_key_id="local", aws_secret_access_key="local")
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        stack = boto3.client("cloudformation", **kwargs).describe_stacks(StackName=args.stack or STACK_NAME)
        outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Stacks"][0].get("Outputs", [])}
        table = outputs["ReportsTableName"]
        group = channel_group(args.channel) if args.channel else ALL
        pages = (
            boto3.client("dynamodb", **kwargs)
            .get_paginator("query")
            .paginate(
                TableName=table,
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": {"S": partition(group, day)}},
            )
        )
        counts = [0] * HOURS
        for page in pages:
            for item in page["Items"]:
                counts[int(item["sk"]["S"])] = int(item["arrivals"]["N"])
        return counts
    except (BotoCoreError, ClientError, KeyError) as error:
        raise ForecastFailed(f"cannot read the reports table ({type(error).__name__}: {error})") from None


# ------------------------------------------------------------------------------------------ the table


def _asa(seconds: float) -> str:
    return f"{seconds:.1f} s" if seconds < 60 else f"{seconds / 60:.1f} min"


def _duration(seconds: float) -> str:
    for unit, size in (("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g}{unit}"
    return f"{seconds:g}s"


def render(answer: dict[str, Any]) -> str:
    given = answer["inputs"]
    sla = given["sla"]
    source = (
        f"day {given['day']}" + (f", {given['channel']}" if given.get("channel") else "")
        if given.get("day")
        else (f"{given['rate_per_hour']:g} inquiries/h" if given.get("rate_per_hour") else "planned curve")
    )
    lines = [
        f"Staffing forecast (Erlang C): {source}; AHT {_duration(given['aht_seconds'])}; "
        f"SLA {sla['share'] * 100:g} % within {_duration(sla['within_seconds'])}; "
        f"shrinkage {given['shrinkage'] * 100:g} %"
        + (f"; occupancy at most {given['max_occupancy'] * 100:g} %" if given["max_occupancy"] < 1 else ""),
        "",
        f"{'hour (UTC)':<11}{'inquiries':>10}{'erlangs':>9}{'agents':>8}{'scheduled':>11}"
        f"{'service level':>15}{'ASA':>10}{'occupancy':>11}",
    ]
    for row in answer["hours"]:
        hour = "every hour" if row["hour"] is None else f"{row['hour']:02d}:00"
        level, occupancy = row["service_level"] * 100, row["occupancy"] * 100
        lines.append(
            f"{hour:<11}{row['inquiries']:>10g}{row['erlangs']:>9.2f}{row['agents']:>8}{row['scheduled']:>11}"
            f"{level:>13.1f} %{_asa(row['asa_seconds']):>10}{occupancy:>9.1f} %"
        )
    if len(answer["hours"]) > 1:
        peak = max(answer["hours"], key=lambda row: (row["scheduled"], -(row["hour"] or 0)))
        total = sum(row["inquiries"] for row in answer["hours"])
        lines += ["", f"{total:g} inquiries; peak {peak['scheduled']} scheduled at {peak['hour']:02d}:00"]
    return "\n".join(lines)
