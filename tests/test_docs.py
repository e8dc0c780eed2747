"""The documentation site builds without warnings (broken links, missing API objects), loads
nothing from the internet, and numpydoc roles (:func:`...`) render as links."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest

from conftest import REPO


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    if shutil.which("mkdocs", path=str(REPO / ".venv" / "bin")) is None:
        pytest.importorskip("mkdocs")
    out = tmp_path_factory.mktemp("docs") / "site"
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return out


def test_mkdocs_builds_strict(site):
    html = (site / "reference" / "io.html").read_text(encoding="utf-8")
    assert "read_districts" in html and "key_width" in html


def test_site_loads_no_script_or_style_from_the_internet(site):
    found = []
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        found += [(page.name, u) for u in re.findall(
            r'<(?:script|link)\b[^>]*?(?:src|href)\s*=\s*["\']((?:https?:)?//[^"\']+)', text)]
    for css in site.rglob("*.css"):
        found += [(css.name, u) for u in re.findall(
            r"(?:@import\s+(?:url\()?|url\()\s*['\"]?(https?://[^'\")]+)",
            css.read_text(encoding="utf-8", errors="replace"))]
    assert found == []
    assert "highlight.min.js" not in (site / "index.html").read_text(encoding="utf-8")


def test_numpydoc_roles_become_links(site):
    html = (site / "reference" / "output.html").read_text(encoding="utf-8")
    assert ":func:`" not in html
    # "Save with :func:`quartier.save_map`" in the maps module: a link to save_map's entry
    assert re.search(r'<a[^>]+href="[^"]*#quartier\.output\.offline\.save_map"', html)
    other = (site / "reference" / "access.html").read_text(encoding="utf-8")
    assert ":func:`" not in other


def test_site_works_from_disk_without_a_server(site):
    """Opened as file://, a link must name a file: a folder link (…/io/) shows a directory
    listing or nothing without a web server."""
    broken = []
    for page in site.rglob("*.html"):
        if page.name == "404.html":  # only a web server shows it (its links are absolute)
            continue
        text = page.read_text(encoding="utf-8")
        for href in re.findall(r'<a\b[^>]*?href="([^"#?]+)', text):
            if re.match(r"^(?:[a-z]+:|//)", href):
                continue
            target = (page.parent / href).resolve()
            if not target.is_file():
                broken.append((page.relative_to(site).as_posix(), href))
    assert broken == []
