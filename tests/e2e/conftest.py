"""Browser end-to-end fixtures: headless Debian Chromium, driven by Playwright, against live_server."""

from __future__ import annotations

import base64
import os
import re
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM would otherwise refuse to run here.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

from playwright.sync_api import Page, expect, sync_playwright

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
STEP = 30  # TOTP time step (django-otp's default)


@contextmanager
def chromium(timeout_ms: int = 15_000, *, console_clean: bool = False) -> Iterator[Page]:
    """A page of a fresh headless Chromium, for tests that drive live ``hanse serve`` processes;
    ``console_clean``: fail on any console error (not for tests that visit error pages on purpose)."""
    from tests.conftest import skip_or_fail

    chromium_path = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium_path).exists():
        skip_or_fail("Chromium is not installed (/usr/bin/chromium); install Debian's chromium package")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        context = browser.new_context(locale="en-US")
        context.set_default_timeout(timeout_ms)
        expect.set_options(timeout=timeout_ms)
        errors: list[str] = []
        page = context.new_page()
        page.on(
            "console",
            lambda m: errors.append(f"{m.text} {m.location.get('url', '')}") if m.type == "error" else None,
        )
        try:
            yield page
            if console_clean:
                assert errors == []
        finally:
            context.close()
            browser.close()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test here drives Chromium: marked ``browser``, so that CI runs these journeys once
    (on SQLite) and keeps the PostgreSQL pass for what the database changes."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(autouse=True)
def _reset_axes() -> Iterator[None]:
    """No sign-in failures carry over from one test to the next."""
    from axes.utils import reset

    reset()
    yield
    reset()


@pytest.fixture
def page(chromium_path: str, live_server: Any) -> Iterator[Page]:
    """A fresh browser (no cookies) whose relative URLs go to the live server, in English by default."""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        context = browser.new_context(base_url=live_server.url, locale="en-US")
        context.set_default_timeout(10_000)
        expect.set_options(timeout=10_000)
        try:
            yield context.new_page()
        finally:
            context.close()
            browser.close()


def path_is(path: str) -> re.Pattern[str]:
    """Matches a URL whose path is exactly ``path`` (any host, port, query)."""
    return re.compile(rf"^https?://[^/]+{re.escape(path)}(\?.*)?$")


def sign_in(page: Page, upn: str, password: str) -> None:
    page.goto("/signin")
    page.fill("#id_username", upn)
    page.fill("#id_password", password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(path_is("/signin"))


def submit_code(page: Page, code: str) -> None:
    page.fill("#id_code", code)
    page.locator("form button[type=submit].primary").click()
    page.wait_for_load_state()


# --- TOTP --------------------------------------------------------------------------------------------


def secret_key(secret: str) -> bytes:
    """The key bytes behind the base32 secret shown on the enrolment page."""
    secret = secret.replace(" ", "").upper()
    return base64.b32decode(secret + "=" * (-len(secret) % 8))


def current_step() -> int:
    return int(time.time()) // STEP


def code_at(key: bytes, step: int) -> str:
    """The six-digit code for time step ``step``.

    t0 is chosen so that "now" falls in the middle of ``step``: the result does not change if a
    step boundary passes while this runs.
    """
    from django_otp.oath import totp

    t0 = int(time.time()) - (step * STEP + STEP // 2)
    return f"{totp(key, step=STEP, t0=t0):06d}"


def wrong_code(key: bytes) -> str:
    """A code that no step near now (and so no tolerance window) accepts."""
    now = current_step()
    near = {code_at(key, s) for s in range(now - 3, now + 4)}
    candidate = 0
    while f"{candidate:06d}" in near:
        candidate += 1
    return f"{candidate:06d}"


def next_code(key: bytes, user: Any) -> str:
    """A code the user's confirmed device accepts now and has not seen yet.

    django-otp rejects any step <= the last one accepted (``last_t``) and accepts the current step
    (shifted by the device's learned ``drift``) plus or minus one step of tolerance. So take the
    step after the last used one if the tolerance window reaches it, else wait for the next step.
    """
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(user=user, confirmed=True)
    while True:
        centre = current_step() + device.drift
        # Never below the centre: a step boundary passing before the server checks only moves the
        # window up, and the centre stays inside it.
        target = max(device.last_t + 1, centre)
        if target <= centre + device.tolerance:
            return code_at(key, target)
        time.sleep(STEP - time.time() % STEP + 0.1)
