"""Play the student: JupyterLab on loopback, module 01 opened in headless Chromium, run all cells,
and check that the outputs and the ipywidgets explorer render and respond."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import sync_playwright

from course_lib.paths import REPO_ROOT

pytestmark = pytest.mark.slow
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def lab(tmp_path: Path):
    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(REPO_ROOT / "notebooks/01_unicode/01_unicode.ipynb", work)
    env = dict(os.environ)
    for var in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR"):
        env[var] = str(tmp_path / var.lower())
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env["PATH"]
    port, token = _free_port(), "workbook-test-token"
    cmd = [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        f"--ServerApp.token={token}",
        f"--ServerApp.root_dir={work}",
        "--allow-root",
    ]
    log = open(tmp_path / "lab.log", "w")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=1)
                break
            except OSError:
                assert proc.poll() is None, (tmp_path / "lab.log").read_text()
                time.sleep(0.5)
        else:
            pytest.fail("JupyterLab did not start:\n" + (tmp_path / "lab.log").read_text())
        yield url, token, work, tmp_path
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def test_student_runs_module_01_in_jupyterlab(lab) -> None:
    url, token, work, tmp_path = lab
    assert Path(CHROMIUM).exists(), "Debian's chromium is needed: apt-get install chromium"
    with sync_playwright() as p:
        # playwright gives the browser a fresh, empty profile folder of its own.
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            page.goto(f"{url}/lab/tree/01_unicode.ipynb?token={token}", timeout=90_000)
            page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=90_000)
            # A fresh JupyterLab may ask which kernel to use; take the notebook's own (python3).
            try:
                page.wait_for_selector(".jp-Dialog", timeout=10_000)
                page.click(".jp-Dialog button.jp-mod-accept")
            except PlaywrightTimeout:
                pass
            page.wait_for_selector(
                ".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=90_000
            )
            page.click("li.lm-MenuBar-item:has-text('Run')")
            page.click(".lm-Menu-itemLabel:text-is('Run All Cells')")
            table = page.wait_for_selector(".utf8-explorer-table", timeout=180_000)
            assert "U+1F30D" in table.inner_text()
            # The plot and the encodings table rendered; no cell raised.
            page.wait_for_selector(".jp-RenderedImage img", timeout=60_000)
            assert page.locator(".jp-OutputArea-output table").count() >= 1
            page.wait_for_selector(
                ".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=120_000
            )
            assert (
                page.locator(
                    "[data-mime-type='application/vnd.jupyter.stderr']:has-text('Traceback')"
                ).count()
                == 0
            )
            assert "Traceback" not in page.locator(".jp-Notebook").inner_text()
            # The explorer answers typing.
            box = page.locator(".utf8-explorer-input input")
            box.fill("€x")
            page.wait_for_function(
                "() => document.querySelector('.utf8-explorer-table').innerText.includes('E2 82 AC')",
                timeout=30_000,
            )
            assert (work / "outputs" / "figures" / "bytes_per_char.png").exists()
        finally:
            page.screenshot(path=str(tmp_path / "lab.png"), full_page=False)
            browser.close()
