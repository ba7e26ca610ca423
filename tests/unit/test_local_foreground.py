"""The local runtime runs requests first: background work waits for its next AWS call during one."""

from __future__ import annotations

import threading
import time

from kanal_local.runtime import Foreground


def test_background_waits_while_a_request_is_in_flight_and_goes_when_it_ends():
    foreground = Foreground(limit=5)
    passed = threading.Event()

    def background() -> None:
        foreground.wait_turn()
        passed.set()

    foreground.begin()
    worker = threading.Thread(target=background)
    worker.start()
    # the request's own calls are never held back
    foreground.wait_turn()
    assert not passed.wait(0.2)
    foreground.end()
    assert passed.wait(2)
    worker.join()


def test_background_is_never_starved_beyond_the_limit():
    foreground = Foreground(limit=0.2)
    foreground.begin()  # a request that does not end
    try:
        waited = threading.Event()
        started = time.monotonic()
        thread = threading.Thread(target=lambda: (foreground.wait_turn(), waited.set()))
        thread.start()
        assert waited.wait(3)
        assert time.monotonic() - started < 3
        thread.join()
    finally:
        foreground.end()


def test_without_a_request_in_flight_background_goes_at_once():
    foreground = Foreground(limit=5)
    started = time.monotonic()
    foreground.wait_turn()
    assert time.monotonic() - started < 1
