"""The README's quickstart runs as printed."""

from __future__ import annotations

import re

from conftest import REPO


def test_readme_quickstart_runs(tmp_path, monkeypatch, capsys):
    text = (REPO / "README.md").read_text(encoding="utf-8")
    quick = text.split("## Quickstart", 1)[1]
    code = re.search(r"```python\n(.*?)```", quick, re.S).group(1)
    assert len(code.strip().splitlines()) <= 10
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "README.md", "exec"), {})
    assert "53 von 53" in capsys.readouterr().out
    assert (tmp_path / "versorgung.html").stat().st_size > 10_000
