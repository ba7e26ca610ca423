"""`kanal load` and its engine, which the benchmarks drive too: `schedule` (when each delivery is due),
`sender` (sending on that schedule), `follower` (samples followed to their inquiry), `books` (every record
accounted for), `stack_reads` (what both read from the stack), `target` (the stack sent to and read), `run`
(one run, its figures and report), `flags` and `cli` (the command). What the command does and answers:
`cli`'s docstring."""

from kanal_local.load.books import Books, check_books
from kanal_local.load.cli import add_parser, cmd_load
from kanal_local.load.follower import Followed, Follower
from kanal_local.load.run import Run, report, run_load
from kanal_local.load.schedule import Plan
from kanal_local.load.sender import Progress, Sender, Sent
from kanal_local.load.stack_reads import queue_depth
from kanal_local.load.target import Inspection, Target, inspection_of, local_target, queued_reader

__all__ = [
    "Books",
    "Followed",
    "Follower",
    "Inspection",
    "Plan",
    "Progress",
    "Run",
    "Sender",
    "Sent",
    "Target",
    "add_parser",
    "check_books",
    "cmd_load",
    "inspection_of",
    "local_target",
    "queue_depth",
    "queued_reader",
    "report",
    "run_load",
]
