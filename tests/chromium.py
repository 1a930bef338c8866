"""A headless Chromium for the site's tests, driven over the Chrome DevTools protocol.

The protocol runs over a pair of pipes (``--remote-debugging-pipe``: Chromium reads commands
from its file descriptor 3 and writes answers and events to 4, each a JSON text ending in a
NUL byte), so the tests need no WebSocket client, no driver process and no browser download:
only a ``chromium`` executable (Debian's ``chromium`` package) and the standard library.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

#: Headless, and nothing that reaches outside the machine; ``MAP * ~NOTFOUND`` makes every
#: host but the test's own server unresolvable, so a page that needs the network fails the
#: same way everywhere.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--remote-debugging-pipe",
)


_TRAMPOLINE = """
import os, sys
commands, answers = int(sys.argv[1]), int(sys.argv[2])
os.dup2(commands, 3)
os.dup2(answers, 4)
os.close(commands)
os.close(answers)
os.execv(sys.argv[3], sys.argv[3:])
"""


def find_chromium() -> str | None:
    """The Chromium executable: ``$CHROMIUM``, else ``chromium`` (Debian) on the PATH."""
    for candidate in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser"):
        if candidate and (found := shutil.which(candidate)):
            return found
    return None


class ChromiumError(RuntimeError):
    """A protocol command failed, the browser exited, or an answer did not come in time."""


def _high_fd(fd: int) -> int:
    """The pipe end moved to a descriptor above 4, so that making the other end 3 or 4 in
    the child cannot overwrite it first."""
    import fcntl  # POSIX only, as the pipes Chromium reads are

    moved = fcntl.fcntl(fd, fcntl.F_DUPFD, 10)
    os.close(fd)
    return moved


class Chromium:
    """One headless browser. ``send`` runs a protocol command and returns its result; events
    that arrive meanwhile are kept in ``events`` for :meth:`wait_for` and the pages."""

    def __init__(self, executable: str, profile: Path, *, timeout: float = 60.0) -> None:
        self.timeout = timeout
        commands_in, commands_out = map(_high_fd, os.pipe())
        answers_in, answers_out = map(_high_fd, os.pipe())
        self.log = profile / "chromium.log"
        profile.mkdir(parents=True, exist_ok=True)
        command = [executable, *FLAGS, f"--user-data-dir={profile}", "about:blank"]
        with self.log.open("wb") as log:
            # A Python trampoline gives Chromium the pipe ends as descriptors 3 and 4, where it
            # expects them (no preexec_fn: unsafe where the test process has threads; no shell:
            # dash's redirections take one-digit descriptors only).
            self.process = subprocess.Popen(
                [sys.executable, "-c", _TRAMPOLINE, str(commands_in), str(answers_out), *command],
                pass_fds=(commands_in, answers_out),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )
        os.close(commands_in)
        os.close(answers_out)
        self._commands = commands_out
        self._answers = answers_in
        self._buffer = b""
        self._last_id = 0
        self.events: list[dict[str, Any]] = []

    def close(self) -> None:
        with contextlib.suppress(ChromiumError, OSError):
            self.send("Browser.close", timeout=10)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for fd in (self._commands, self._answers):
            with contextlib.suppress(OSError):
                os.close(fd)

    def __enter__(self) -> Chromium:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _receive(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ChromiumError(f"no answer from Chromium in {self.timeout} s")
            ready, _, _ = select.select([self._answers], [], [], left)
            if ready:
                chunk = os.read(self._answers, 1 << 20)
                if not chunk:
                    raise ChromiumError(
                        f"Chromium exited ({self.process.poll()}): {self.log.read_text()[-2000:]}"
                    )
                self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def send(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        *,
        session: str | None = None,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        self._last_id += 1
        message: dict[str, Any] = {"id": self._last_id, "method": method, "params": params or {}}
        if session is not None:
            message["sessionId"] = session
        data = json.dumps(message).encode() + b"\0"
        while data:
            data = data[os.write(self._commands, data) :]
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            answer = self._receive(deadline)
            if answer.get("id") == self._last_id:
                if "error" in answer:
                    raise ChromiumError(f"{method}: {answer['error']}")
                return answer.get("result", {})
            self.events.append(answer)

    def wait_for(self, method: str, *, session: str, start: int, timeout: float | None = None):
        """The first event ``method`` of ``session`` from ``events[start:]``, waiting for it."""
        deadline = time.monotonic() + (timeout or self.timeout)
        seen = start
        while True:
            for event in self.events[seen:]:
                if event.get("method") == method and event.get("sessionId") == session:
                    return event
            seen = len(self.events)
            self.events.append(self._receive(deadline))

    def new_page(self, *, width: int = 1440, height: int = 900) -> Page:
        return Page(self, width=width, height=height)


def _console_text(event: dict[str, Any]) -> str | None:
    """What an event reports as an error in the browser's console, or None."""
    method, params = event.get("method"), event.get("params", {})
    if method == "Runtime.exceptionThrown":
        details = params["exceptionDetails"]
        thrown = details.get("exception", {}).get("description") or details.get("text")
        where = f"{details.get('url', '')}:{details.get('lineNumber')}"
        return f"uncaught exception: {thrown} ({where})"
    if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
        args = [a.get("value", a.get("description", "")) for a in params.get("args", [])]
        return f"console.{params['type']}: {' '.join(map(str, args))}"
    if method == "Log.entryAdded" and params["entry"]["level"] == "error":
        entry = params["entry"]
        return f"{entry['source']}: {entry['text']} {entry.get('url', '')}".strip()
    return None


class Page:
    """A tab: ``goto`` a URL and wait for its load event, ``evaluate`` JavaScript in it, and
    read the console errors it gave since the last ``goto``."""

    def __init__(self, browser: Chromium, *, width: int, height: int) -> None:
        self.browser = browser
        target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        attached = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})
        self.session = attached["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.send(f"{domain}.enable")
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )
        self._start = len(browser.events)

    def send(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.browser.send(method, params, session=self.session)

    def goto(self, url: str) -> None:
        self._start = len(self.browser.events)
        result = self.send("Page.navigate", {"url": url})
        if result.get("errorText"):
            raise ChromiumError(f"{url}: {result['errorText']}")
        self.browser.wait_for("Page.loadEventFired", session=self.session, start=self._start)

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression (a promise is awaited), as JSON."""
        result = self.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
        )
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            raise ChromiumError(details.get("exception", {}).get("description") or str(details))
        return result["result"].get("value")

    def console_errors(self) -> Iterator[dict[str, Any]]:
        """The error events of this page since the last ``goto``: (text, url of the failed
        resource or '')."""
        for event in self.browser.events[self._start :]:
            if event.get("sessionId") == self.session and (text := _console_text(event)):
                url = event.get("params", {}).get("entry", {}).get("url", "")
                yield {"text": text, "url": url}
