"""`kanal load`: realistic signed traffic against the local stack or a deployed one, and the books after it.

    kanal load --rate 200/s --duration 60s [--url URL] [--out FILE]
    kanal load --burst 10000 --within 60s

Deliveries (`kanal_local.traffic`) are sent on an open-loop schedule, each at its planned time whether or
not earlier ones were answered (a platform does not wait for Kanal), from `--concurrency` senders. For
each it records the answer's status and the ack latency (request sent to answer read) and how late the
sender was against the schedule, so a target that slows the senders down is seen, not hidden.

Then, while the records drain through the ingest queue, sample deliveries are followed to their inquiry:
the time until the message is stored (its inquiry exists) and until the inquiry is routed (no longer
`new`: in a team's queue or with an agent), read through the agent API with an admin token. At the end
the books: every record the webhooks accepted is a stored message (or a duplicate recognised as one) or
a record in the dead-letter queue; whatever is neither is named, and so is any message that opened two
inquiries. The books need to read the tables and the queues: on the local stack through the emulator's
AWS endpoint (`kanal local` serves it on port + 1), for a deployed stack with `--stack NAME` and AWS
credentials; without them the books are not checked and the report says so.

Exit status: 0 when every delivery was acknowledged and the books balance, 3 when a check failed, 1 when
the target cannot be reached, 2 for bad flags."""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

from kanal_local.load.flags import count_value, duration_value, rate_value
from kanal_local.load.run import SAMPLES, report, run_load
from kanal_local.load.schedule import Plan
from kanal_local.load.target import Unreachable, check_reachable, deployed_target, local_target


def add_parser(commands: Any) -> None:
    load = commands.add_parser(
        "load",
        help="send realistic signed traffic (a rate or a burst); check every delivery is accounted for",
        description=__doc__.splitlines()[0],
    )
    shape = load.add_mutually_exclusive_group(required=True)
    shape.add_argument(
        "--rate", type=rate_value, metavar="N/s", help="deliveries per second (200/s, 12000/min)"
    )
    shape.add_argument(
        "--burst", type=count_value, metavar="N", help="this many deliveries, spread over --within"
    )
    load.add_argument("--duration", type=duration_value, metavar="T", help="with --rate: how long (60s, 2m)")
    load.add_argument("--within", type=duration_value, metavar="T", help="with --burst: in this time (60s)")
    load.add_argument("--url", help="the stack's base URL (default: the local stack, $KANAL_PORT or 8787)")
    load.add_argument("--meta-secret", help="the Meta app secret (default $KANAL_META_APP_SECRET)")
    load.add_argument("--x-secret", help="the X consumer secret (default $KANAL_X_CONSUMER_SECRET)")
    load.add_argument("--token", help="an admin's API token for following samples (default $KANAL_TOKEN)")
    load.add_argument(
        "--stack", help="with --url: the CloudFormation stack whose tables and queues the books read"
    )
    load.add_argument("--region", help="with --stack: its region")
    load.add_argument("--concurrency", type=count_value, default=32, help="parallel senders (default 32)")
    load.add_argument("--seed", type=int, default=1, help="the traffic's random seed (default 1)")
    load.add_argument(
        "--poison",
        type=int,
        default=0,
        metavar="N",
        help="local only: N deliveries ingest cannot take (dead-lettered)",
    )
    load.add_argument(
        "--samples",
        type=int,
        default=SAMPLES,
        metavar="N",
        help=f"deliveries followed to their inquiry (default {SAMPLES})",
    )
    load.add_argument(
        "--drain-timeout",
        type=duration_value,
        default=600.0,
        metavar="T",
        help="wait at most this for the queue to empty (default 10m)",
    )
    load.add_argument("--no-books", action="store_true", help="do not wait for the drain or check the books")
    load.add_argument("--out", type=Path, help="also write the figures as JSON here")
    load.set_defaults(func=cmd_load)


def _plan(args: argparse.Namespace) -> Plan:
    if args.rate is not None:
        if args.duration is None or args.within is not None:
            raise argparse.ArgumentTypeError("--rate needs --duration (and not --within)")
        return Plan.rate(args.rate, args.duration)
    if args.within is None or args.duration is not None:
        raise argparse.ArgumentTypeError("--burst needs --within (and not --duration)")
    return Plan.burst(args.burst, args.within)


def _checked(args: argparse.Namespace) -> Plan:
    """The plan, once every flag is known to fit the others; ArgumentTypeError names what does not."""
    plan = _plan(args)
    if args.poison < 0 or args.samples < 0:
        raise argparse.ArgumentTypeError("--poison and --samples must be 0 or more")
    if args.poison and args.url:
        raise argparse.ArgumentTypeError("--poison needs the local stack's channel sandbox (no --url)")
    if args.poison >= plan.count:
        raise argparse.ArgumentTypeError("--poison must be fewer than the deliveries")
    if args.stack and not args.url:
        raise argparse.ArgumentTypeError("--stack goes with --url (the local stack needs neither)")
    if args.url and not re.match(r"https?://[^/\s]+", args.url):
        raise argparse.ArgumentTypeError(f"--url must be an http(s) URL, not {args.url!r}")
    return plan


def cmd_load(args: argparse.Namespace) -> int:
    try:
        plan = _checked(args)
    except argparse.ArgumentTypeError as error:
        print(f"kanal load: {error}", file=sys.stderr)
        return 2
    if args.url:
        target = deployed_target(
            args.url, args.meta_secret, args.x_secret, args.token, args.stack, args.region
        )
        if not target.secrets["meta"] or not target.secrets["x"]:
            print(
                "kanal load: a deployed stack needs --meta-secret and --x-secret (or their variables)",
                file=sys.stderr,
            )
            return 2
    else:
        try:
            target = local_target()
        except Unreachable as error:
            print(f"kanal load: {error}; is `kanal local` running?", file=sys.stderr)
            return 1
    try:
        check_reachable(target)
    except Unreachable as error:
        hint = "; is `kanal local` running?" if target.local and "answered" not in str(error) else ""
        print(f"kanal load: {error}{hint}", file=sys.stderr)
        return 1
    run = run_load(
        target,
        plan,
        seed=args.seed,
        concurrency=args.concurrency,
        poison=args.poison,
        samples=args.samples,
        drain_timeout=args.drain_timeout,
        books=not args.no_books,
    )
    print(report(run))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(run.as_json(), indent=2) + "\n", encoding="utf-8")
        print(f"-> {args.out}")
    return 0 if run.ok else 3
