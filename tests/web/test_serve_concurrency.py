"""Many readers at once while the CLI appends: every answer is whole and at one basis."""

from __future__ import annotations

import re
import subprocess
import sys
import threading

import pytest

import ledger.service as service
from tests.web.conftest import RESOLVED, seed
from tests.web.test_browser import Server

pytestmark = pytest.mark.slow


def test_pages_stay_at_one_basis_while_the_cli_appends(db_url: str) -> None:
    seed(db_url)
    server = Server(db_url)
    seen: list[tuple[int, str, str]] = []
    failures: list[str] = []
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            status, _, body = server.get(f"/claims/{RESOLVED}")
            if status != 200:
                failures.append(f"{status}: {body[:200]!r}")
                continue
            html = body.decode()
            position = int(re.search(r'data-basis="position">(\d+)<', html).group(1))  # type: ignore[union-attr]
            shown = re.search(
                r'<span id="status"><span class="status status-\w+" data-status="(\w+)"', html
            ).group(1)  # type: ignore[union-attr]
            why = re.search(r"<h2>Why (\w+)</h2>", html).group(1)  # type: ignore[union-attr]
            history = [int(p) for p in re.findall(r'<tr id="event-(\d+)">', html)]
            if why != shown or max(history) > position:
                failures.append(f"mixed bases at @{position}: {shown} / why {why} / {history}")
            seen.append((position, shown, why))

    readers = [threading.Thread(target=read) for _ in range(3)]
    for thread in readers:
        thread.start()
    try:
        for i, outcome in enumerate(["confirmed", "refuted"] * 3):
            subprocess.run(
                [
                    sys.executable,
                    "-c",
                    "from ledger.cli.app import main; main()",
                    "claim",
                    "resolve",
                    RESOLVED,
                    "--outcome",
                    outcome,
                    "--resolver",
                    f"Panel {i}",
                    "--occurred-at",
                    f"2023-12-{10 + i}",
                    "--db",
                    db_url,
                ],
                check=True,
                capture_output=True,
            )
    finally:
        done.set()
        for thread in readers:
            thread.join()
        err = server.stop()
    assert failures == [] and "Traceback" not in err, (failures[:3], err)
    assert len({position for position, _, _ in seen}) > 1  # the readers saw appends land
    with service.open(db_url, create=False) as lg:
        for position, shown, _ in set(seen):
            assert lg.show(RESOLVED, known_at=f"@{position}")["status"] == shown
