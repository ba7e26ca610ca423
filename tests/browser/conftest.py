"""The console in headless Chromium (Debian's /usr/bin/chromium, driven by Playwright), against the shared
local stack. One browser for the session; each test gets a fresh page whose console errors, page errors
and dialogs are collected and must stay empty; each step saves a screenshot under artifacts/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).parent / "artifacts"


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield launched
        launched.close()


@dataclass
class Console:
    """One test's page, what went wrong in it, and its screenshots."""

    page: Any
    url: str
    name: str
    errors: list[str] = field(default_factory=list)
    expected: list[str] = field(default_factory=list)  # patterns of errors a test provokes on purpose
    dialogs: list[str] = field(default_factory=list)
    steps: int = 0

    def shot(self, step: str) -> None:
        self.steps += 1
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{self.name}-{self.steps:02d}-{step}.png"), full_page=True)

    def open_as(self, token: str, path: str = "/#token=") -> None:
        self.page.goto(f"{self.url}{path}{token}")


@contextmanager
def _opened(local: Any, browser: Any, name: str, locale: str) -> Iterator[Console]:
    """A fresh browser context and page, whose console errors, page errors and dialogs fail the test."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale=locale)
    page = context.new_page()
    page.set_default_timeout(15_000)
    opened = Console(page, local.url, name)
    page.on(
        "console",
        lambda m: opened.errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None,
    )
    page.on("pageerror", lambda e: opened.errors.append(f"page error: {e}"))

    def dialog(d: Any) -> None:
        opened.dialogs.append(f"{d.type}: {d.message}")
        d.dismiss()

    page.on("dialog", dialog)
    yield opened
    context.close()
    unexpected = [e for e in opened.errors if not any(re.search(p, e) for p in opened.expected)]
    assert unexpected == [], unexpected
    assert opened.dialogs == [], opened.dialogs


def _name(request: Any) -> str:
    return re.sub(r"\W+", "-", request.node.name).strip("-")


@pytest.fixture
def console(local, browser, request) -> Iterator[Console]:
    with _opened(local, browser, _name(request), "en-GB") as opened:
        yield opened


@pytest.fixture
def second_console(local, browser, request) -> Iterator[Console]:
    """A second person at their own browser (in German), beside the one of ``console``."""
    with _opened(local, browser, f"{_name(request)}-second", "de-DE") as opened:
        yield opened
