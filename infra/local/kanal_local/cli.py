"""The `kanal` command: `kanal local`, `kanal token ID`, `kanal dlq list|redrive`, `kanal forecast`,
`kanal console publish`, `kanal load`."""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import signal
import socket
import sys
import tempfile
import threading
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from botocore.exceptions import EndpointConnectionError

from kanal_local import dlq
from kanal_local.server import DEFAULT_PORT

if TYPE_CHECKING:
    from kanal_local.server import LocalServer
    from kanal_local.stack import LocalStack

# `--demo` runs at this scale unless told otherwise: the unanswered inquiry due first (an hour's target at
# most on a round-the-clock team) is warned and escalates tier by tier within about two minutes.
DEMO_TIME_SCALE = 120.0


def _port(value: str | None) -> int:
    return int(value or os.environ.get("KANAL_PORT") or DEFAULT_PORT)


def scale_value(text: str) -> float:
    """A time scale: a finite number >= 1 (argparse type, also used for $KANAL_TIME_SCALE)."""
    try:
        scale = float(text)
    except ValueError:
        scale = math.nan
    if not math.isfinite(scale) or scale < 1:
        raise argparse.ArgumentTypeError(f"time scale must be a number >= 1, not {text!r}")
    return scale


def time_scale(flag: float | None, demo: bool, environ: dict[str, str] | None = None) -> float:
    """`--time-scale` wins, then $KANAL_TIME_SCALE, then 120 for `--demo`, else 1 (real time)."""
    environ = dict(os.environ) if environ is None else environ
    if flag is not None:
        return flag
    if environ.get("KANAL_TIME_SCALE"):
        return scale_value(environ["KANAL_TIME_SCALE"])
    return DEMO_TIME_SCALE if demo else 1.0


def parameter_number(value: float) -> str:
    """A number as a CloudFormation Number parameter value: 120, not 120.0."""
    return str(int(value)) if value.is_integer() else repr(value)


def local_stack(args: argparse.Namespace, port: int) -> LocalStack:
    """The stack `kanal local` runs; raises ArgumentTypeError for an invalid $KANAL_TIME_SCALE."""
    from kanal_local.stack import LocalStack

    scale = time_scale(args.time_scale, args.demo)
    aws_port = int(args.aws_port or os.environ.get("KANAL_AWS_PORT") or port + 1)
    parameters = {"TimeScale": parameter_number(scale)}
    if args.verbose:
        parameters["LogLevel"] = "INFO"
    return LocalStack(aws_port=aws_port, parameters=parameters)


def unavailable(host: str, port: int) -> str | None:
    """Why nothing can listen on host:port now (e.g. "Address already in use"), or None if it can. Bound
    as the servers bind (SO_REUSEADDR), so a port left in TIME_WAIT by an earlier run is free."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as error:
            return error.strerror or str(error)
    return None


def ports_taken(stack: LocalStack, port: int) -> str | None:
    """The one-line error for a port `kanal local` cannot listen on (naming the port and the flag that
    changes it), or None. Checked before anything starts: the emulator's server would otherwise wait
    forever for a port it never gets."""
    wanted = [(port, "--port", "KANAL_PORT", "the gateway")]
    if stack.aws_port is not None:
        wanted.append((stack.aws_port, "--aws-port", "KANAL_AWS_PORT", "the emulator's AWS endpoint"))
    for number, flag, variable, role in wanted:
        reason = unavailable("127.0.0.1", number)
        if reason is not None:
            return (
                f"kanal: cannot listen on port {number} for {role} ({reason}); "
                f"choose another with {flag} (or ${variable})"
            )
    return None


def run_demo(server: LocalServer, stopping: threading.Event) -> None:
    """The demo's replay; once the stack is stopping, whatever its requests meet ends it quietly."""
    from kanal_local.demo import replay

    try:
        replay(server)
    except Exception:
        if not stopping.is_set():
            raise


def cmd_local(args: argparse.Namespace) -> int:
    from kanal_local.server import LocalServer

    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(message)s"
    )
    if not args.verbose:  # metrics are off locally; powertools says so on every flush
        warnings.filterwarnings("ignore", message="No application metrics to publish")
    port = _port(args.port)
    try:
        stack = local_stack(args, port)
    except argparse.ArgumentTypeError as error:
        print(f"kanal: KANAL_TIME_SCALE: {error}", file=sys.stderr)
        return 2
    taken = ports_taken(stack, port)
    if taken is not None:
        print(taken, file=sys.stderr)
        return 1
    server = LocalServer(stack=stack, port=port)
    stopping = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.set())
    server.start()
    running = announce(server.url)
    print(server.banner(), flush=True)
    if args.demo and not stopping.is_set():
        threading.Thread(target=run_demo, args=(server, stopping), name="demo", daemon=True).start()
    stopping.wait()
    print("stopping Kanal local stack", flush=True)
    running.unlink(missing_ok=True)
    server.stop()
    return 0


def _running_file() -> Path:
    return Path(tempfile.gettempdir()) / f"kanal-local-{os.getuid()}.json"


def announce(url: str) -> Path:
    """Where the latest `kanal local` of this user listens, for `kanal token` without --url."""
    path = _running_file()
    path.write_text(json.dumps({"url": url, "pid": os.getpid()}), encoding="utf-8")
    return path


def local_url(flag: str | None, environ: dict[str, str] | None = None) -> str:
    """The stack `kanal token` signs in at: --url, else $KANAL_PORT, else the latest running `kanal
    local` of this user, else the default port."""
    environ = dict(os.environ) if environ is None else environ
    if flag:
        return flag
    if environ.get("KANAL_PORT"):
        return f"http://127.0.0.1:{environ['KANAL_PORT']}"
    try:
        running = json.loads(_running_file().read_text(encoding="utf-8"))
        os.kill(int(running["pid"]), 0)  # still running
        return str(running["url"])
    except (OSError, ValueError, KeyError, TypeError):
        return f"http://127.0.0.1:{DEFAULT_PORT}"


def cmd_token(args: argparse.Namespace) -> int:
    from kanal_local.auth import SignInFailed, token_from

    url = local_url(args.url)
    try:
        print(token_from(url, args.agent_id))
    except (SignInFailed, OSError) as error:
        print(f"no token for {args.agent_id}: {error} (is `kanal local` running at {url}?)", file=sys.stderr)
        return 1
    return 0


def cmd_dlq(args: argparse.Namespace) -> int:
    try:
        target = dlq.Target.resolve(args.stack, args.endpoint_url, args.region)
    except EndpointConnectionError as error:
        print(
            f"kanal: no AWS endpoint at {error.kwargs.get('endpoint_url')}; is `kanal local` running? "
            "For a deployed stack pass --stack NAME.",
            file=sys.stderr,
        )
        return 2
    if args.action == "list":
        return dlq.print_list(target, args.max)
    return dlq.redrive(target, args.max)


def cmd_console(args: argparse.Namespace) -> int:
    """Upload the console's files and its config.json (from the stack's outputs) to its bucket."""
    import boto3

    from kanal_local.console import publish

    session = boto3.session.Session(region_name=args.region)
    stack = session.client("cloudformation").describe_stacks(StackName=args.stack)["Stacks"][0]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    keys = publish(session.client("s3"), outputs, session.region_name)
    print(f"published {len(keys)} files to s3://{outputs['ConsoleBucketName']}")
    print(f"the console: {outputs['ConsoleDistributionUrl']}/")
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="kanal", description="Kanal: social customer care on AWS.")
    commands = root.add_subparsers(dest="command", required=True)

    local = commands.add_parser(
        "local", help="run the whole stack on this machine on an embedded AWS emulator"
    )
    local.add_argument("--port", help=f"HTTP port (default $KANAL_PORT or {DEFAULT_PORT})")
    local.add_argument("--aws-port", help="port of the emulator's AWS endpoint (default: port + 1)")
    local.add_argument(
        "--demo",
        action="store_true",
        help=f"also replay sample traffic (at time scale {DEMO_TIME_SCALE:g} unless told otherwise)",
    )
    local.add_argument(
        "--time-scale",
        type=scale_value,
        metavar="N",
        help="make every SLA, warning and escalation delay N times shorter (default $KANAL_TIME_SCALE or 1)",
    )
    local.add_argument("--verbose", action="store_true")
    local.set_defaults(func=cmd_local)

    token = commands.add_parser(
        "token", help="print AGENT_ID's ID token, signed in through the running local stack's Cognito"
    )
    token.add_argument("agent_id")
    token.add_argument(
        "--url",
        default=None,
        help="the local stack (default: $KANAL_PORT, else the running `kanal local`)",
    )
    token.set_defaults(func=cmd_token)

    queue = commands.add_parser("dlq", help="inspect and redrive the ingest dead-letter queue")
    queue.add_argument("action", choices=["list", "redrive"])
    queue.add_argument("--stack", default=None, help="CloudFormation stack (default: the local stack)")
    queue.add_argument(
        "--endpoint-url", default=None, help="AWS endpoint (default: the local stack's emulator)"
    )
    queue.add_argument("--region", default=None)
    queue.add_argument("--max", type=int, default=1000, help="at most this many records")
    queue.set_defaults(func=cmd_dlq)

    from kanal_local import forecast

    forecast.add_parser(commands)
    console = commands.add_parser("console", help="publish the agent console to a deployed stack")
    console.add_argument("action", choices=["publish"])
    console.add_argument("--stack", required=True, help="the CloudFormation stack (samconfig.toml: kanal)")
    console.add_argument("--region", default=None)
    console.set_defaults(func=cmd_console)

    from kanal_local import load

    load.add_parser(commands)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
