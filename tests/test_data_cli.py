"""`nngrade data fetch|verify` as a user runs them; downloads only from servers started here on 127.0.0.1."""
from __future__ import annotations

import functools
import http.server
import os
import socket
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from autograder.cli.main import main
from autograder.data.mnist import MNIST_FILES
from autograder.errors import ExitCode

REAL = os.environ.get("NNGRADE_DATA")
needs_real_data = pytest.mark.skipif(
    not REAL or not all((Path(REAL) / f.name).is_file() for f in MNIST_FILES),
    reason="needs NNGRADE_DATA pointing at a folder with the four MNIST .gz files",
)


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again when the fixture returns: nothing listens there


def test_verify_an_empty_folder_says_how_to_get_the_data(tmp_path):
    """Does verify on a folder without the files exit 5 and name `nngrade data fetch` and NNGRADE_DATA?"""
    result = invoke("data", "verify", "--dir", str(tmp_path))
    assert result.exit_code == ExitCode.DATA_MISSING
    assert "nngrade data fetch" in result.output and "NNGRADE_DATA" in result.output
    assert result.output.count("missing") >= 4


@pytest.mark.slow  # sleeps through the real retry back-off (~1.5 s)
def test_fetch_with_every_mirror_dead_explains_the_offline_fix(tmp_path, closed_port):
    """Does fetch with no reachable mirror exit 5, explain what to do offline, and leave no partial file?"""
    result = invoke("data", "fetch", "--dir", str(tmp_path), "--mirror", f"http://127.0.0.1:{closed_port}/",
                    "--timeout", "2")
    assert result.exit_code == ExitCode.DATA_MISSING
    assert "NNGRADE_DATA" in result.output and "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []


@needs_real_data
def test_verify_the_real_data(tmp_path):
    """Does verify accept the real MNIST folder?"""
    result = invoke("data", "verify", "--dir", REAL)
    assert result.exit_code == 0 and result.output.count(" ok ") == 4


@needs_real_data
def test_fetch_the_real_files_from_a_local_mirror(tmp_path):
    """Does fetch download the four real files from a mirror on 127.0.0.1 and verify them?"""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=REAL)
    handler.log_message = lambda *a: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        mirror = f"http://127.0.0.1:{server.server_address[1]}/"
        result = invoke("data", "fetch", "--dir", str(tmp_path / "cache"), "--mirror", mirror)
    finally:
        server.shutdown()
        server.server_close()
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == sorted(f.name for f in MNIST_FILES)
    assert invoke("data", "verify", "--dir", str(tmp_path / "cache")).exit_code == 0
