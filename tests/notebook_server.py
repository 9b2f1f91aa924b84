"""Start a notebook server (JupyterLab or the classic Notebook) for a browser test, and stop it."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def notebook_server(
    command: Callable[[int, str], list[str]], root: Path, name: str
) -> Iterator[tuple[str, str]]:
    """Run ``command(port, token)`` in smoke mode with its own Jupyter folders under ``root``.

    Yields ``(base URL, token)`` once the server answers; the server's whole process group is
    stopped afterwards, and its log is part of the failure message if it never came up.
    """
    port, token = _free_port(), secrets.token_hex(16)
    env = {
        **os.environ,
        "MNIST_COURSE_SMOKE": "1",
        "JUPYTER_CONFIG_DIR": str(root / ".config"),
        "JUPYTER_RUNTIME_DIR": str(root / ".runtime"),
    }
    log = (root / "server.log").open("w")
    server = subprocess.Popen(
        command(port, token), env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                pytest.fail(f"{name} exited: {(root / 'server.log').read_text()[-2000:]}")
            try:
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"{name} did not answer within 60 s")
                time.sleep(0.2)
        yield url, token
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
        log.close()


@contextmanager
def jupyter_lab(root: Path) -> Iterator[tuple[str, str]]:
    """JupyterLab serving ``root``, set up for a test: no news toast, kernels start without asking.

    Yields ``(base URL, token)``; open a notebook at ``{url}/lab/tree/NAME?token=TOKEN``, or at
    ``{url}/lab/workspaces/WORKSPACE/tree/NAME?token=TOKEN`` for a page that shows it alone.
    """
    settings = {
        "apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
        "notebook-extension/tracker": {"autoStartDefaultKernel": True},
    }
    for name, values in settings.items():
        path = root / ".settings" / "@jupyterlab" / f"{name}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))

    def command(port: int, token: str) -> list[str]:
        return [
            sys.executable,
            "-m",
            "jupyter",
            "lab",
            "--no-browser",
            "--allow-root",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={root}",
            f"--LabApp.user_settings_dir={root / '.settings'}",
        ]

    with notebook_server(command, root, "JupyterLab") as server:
        yield server
