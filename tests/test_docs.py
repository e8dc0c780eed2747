"""The documentation site builds without warnings (broken links, missing API objects)."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from conftest import REPO


def test_mkdocs_builds_strict(tmp_path):
    if shutil.which("mkdocs", path=str(REPO / ".venv" / "bin")) is None:
        pytest.importorskip("mkdocs")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    html = (tmp_path / "site" / "reference" / "io" / "index.html").read_text(encoding="utf-8")
    assert "read_districts" in html and "key_width" in html
