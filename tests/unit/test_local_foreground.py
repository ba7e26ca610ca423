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


def test_background_that_found_a_request_waits_for_a_quiet_moment_after_it():
    foreground = Foreground(limit=5, quiet=0.3)
    passed = threading.Event()
    foreground.begin()
    worker = threading.Thread(target=lambda: (foreground.wait_turn(), passed.set()))
    worker.start()
    foreground.end()
    ended = time.monotonic()
    assert passed.wait(3)
    # not at the request's end, but once no request had come for the quiet period
    assert time.monotonic() - ended >= 0.25
    worker.join()


def test_calls_that_go_for_the_limit_go_one_per_spacing_not_as_a_herd():
    foreground = Foreground(limit=0.1, quiet=0.0, spacing=0.2)
    foreground.begin()  # a request that does not end
    went: list[float] = []
    lock = threading.Lock()

    def background() -> None:
        foreground.wait_turn()
        with lock:
            went.append(time.monotonic())

    try:
        workers = [threading.Thread(target=background) for _ in range(3)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=5)
        assert len(went) == 3
        went.sort()
        assert went[1] - went[0] >= 0.15 and went[2] - went[1] >= 0.15
    finally:
        foreground.end()


def test_full_collections_wait_for_quiet_requests_and_python_gets_its_thresholds_back():
    import gc

    from kanal_local.runtime import Collector

    before = gc.get_threshold()
    foreground = Foreground()
    collector = Collector(foreground, idle=0.2, least=0.0, most=60).start()
    try:
        assert gc.get_threshold()[:2] == before[:2]  # Python collects the young generations as before
        assert gc.get_threshold()[2] >= 1 << 30  # and no full collection by itself meanwhile
        foreground.begin()  # a request in flight: no full collection
        time.sleep(0.8)
        assert collector.full_collections == 0
        foreground.end()
        deadline = time.monotonic() + 5
        while collector.full_collections == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert collector.full_collections >= 1  # once requests were quiet
    finally:
        collector.stop()
    assert gc.get_threshold() == before
