"""Offline maps in a real headless Chromium with the network blocked and every request recorded.

Chromium is driven through the Chrome DevTools Protocol over ``--remote-debugging-pipe``
(fd 3/4, NUL-separated JSON), so the test needs no websocket or selenium package. Three
layers keep the page off the network: a proxy pointing at a dead local port, a host resolver
that resolves nothing, and DevTools request interception (``Fetch``) that fails every
http(s)/ws(s) request. ``Network`` events record every request the page starts, so the test
can assert that none left the page (only the ``file:`` page itself and ``data:`` URIs).
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import queue
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import quartier
from quartier.output.maps import add_facilities, choropleth
from quartier.output.offline import save_map

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
VIEW = (1280, 900)


def _chromium_or_skip() -> str:
    if Path(CHROMIUM).exists():
        return CHROMIUM
    if os.environ.get("CI"):
        pytest.fail("chromium is missing in CI: .ci/run installs it (apt-get install chromium)")
    pytest.skip("chromium not installed (apt-get install chromium); CI installs it via .ci/run")


class Browser:
    """A headless Chromium page controlled over the DevTools pipe."""

    def __init__(self, binary: str):
        self.profile = tempfile.mkdtemp(prefix="quartier-chromium-")
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()

        def wire_fds():  # runs in the child: DevTools reads fd 3 and writes fd 4
            r = fcntl.fcntl(to_child_r, fcntl.F_DUPFD, 10)
            w = fcntl.fcntl(from_child_w, fcntl.F_DUPFD, 10)
            os.dup2(r, 3)
            os.dup2(w, 4)

        args = [
            binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--disable-extensions", "--disable-default-apps",
            "--remote-debugging-pipe", f"--user-data-dir={self.profile}",
            "--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
            "--host-resolver-rules=MAP * ~NOTFOUND", f"--window-size={VIEW[0]},{VIEW[1]}",
            "about:blank",
        ]
        self.proc = subprocess.Popen(args, preexec_fn=wire_fds, close_fds=False,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_child_r)
        os.close(from_child_w)
        self._next_id = 0
        self._lock = threading.Lock()
        self._replies: dict[int, queue.Queue] = {}
        self.events: list[dict] = []
        self.blocked: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        targets = self.call("Target.getTargets")["targetInfos"]
        page = next(t for t in targets if t["type"] == "page")
        self.session = self.call("Target.attachToTarget", targetId=page["targetId"],
                                 flatten=True)["sessionId"]
        self.call("Network.enable", session=True)
        self.call("Page.enable", session=True)
        self.call("Fetch.enable", session=True, patterns=[
            {"urlPattern": "http*"}, {"urlPattern": "ws*"}, {"urlPattern": "ftp*"}])
        self.call("Emulation.setDeviceMetricsOverride", session=True, width=VIEW[0],
                  height=VIEW[1], deviceScaleFactor=1, mobile=False)

    def _send(self, message: dict) -> None:
        data = json.dumps(message).encode() + b"\0"
        with self._lock:
            os.write(self._to_child, data)

    def _read(self) -> None:
        buffer = b""
        while True:
            try:
                chunk = os.read(self._from_child, 1 << 20)
            except OSError:
                return
            if not chunk:
                return
            buffer += chunk
            while b"\0" in buffer:
                raw, buffer = buffer.split(b"\0", 1)
                msg = json.loads(raw)
                if "id" in msg:
                    self._replies.setdefault(msg["id"], queue.Queue()).put(msg)
                    continue
                self.events.append(msg)
                if msg.get("method") == "Fetch.requestPaused":
                    # a request wanted to leave the page: record it and fail it
                    self.blocked.append(msg["params"]["request"]["url"])
                    with self._lock:
                        self._next_id += 1
                        msg_id = self._next_id
                    self._send({"id": msg_id, "method": "Fetch.failRequest",
                                "sessionId": msg["sessionId"],
                                "params": {"requestId": msg["params"]["requestId"],
                                           "errorReason": "BlockedByClient"}})

    def call(self, method: str, session: bool = False, timeout: float = 30, **params):
        with self._lock:
            self._next_id += 1
            msg_id = self._next_id
        replies = self._replies.setdefault(msg_id, queue.Queue())
        message = {"id": msg_id, "method": method, "params": params}
        if session:
            message["sessionId"] = self.session
        self._send(message)
        reply = replies.get(timeout=timeout)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply["result"]

    def evaluate(self, expression: str):
        result = self.call("Runtime.evaluate", session=True, expression=expression,
                           returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(result["exceptionDetails"])
        return result["result"].get("value")

    def open(self, url: str, *, ready: str, timeout: float = 30) -> None:
        start = len(self.events)
        self.call("Page.navigate", session=True, url=url)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            loaded = any(e.get("method") == "Page.loadEventFired" for e in self.events[start:])
            if loaded and self.evaluate(ready):
                return
            time.sleep(0.2)
        raise AssertionError(f"page did not get ready ({ready}) within {timeout} s")

    def requested_urls(self) -> list[str]:
        return [e["params"]["request"]["url"] for e in self.events
                if e.get("method") == "Network.requestWillBeSent"]

    def screenshot(self, path: Path) -> bytes:
        data = base64.b64decode(self.call("Page.captureScreenshot", session=True,
                                          format="png")["data"])
        path.write_bytes(data)
        return data

    def close(self) -> None:
        try:
            self.call("Browser.close", timeout=5)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self._to_child, self._from_child):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self.profile, ignore_errors=True)


@pytest.fixture(scope="module")
def browser():
    b = Browser(_chromium_or_skip())
    yield b
    b.close()


@pytest.fixture(scope="module")
def berlin(shared):
    districts = quartier.read_districts(shared / "berlin_lor" / "lor_planungsraeume_2021.shp",
                                        key="PLR_ID", name="PLR_NAME")
    table = quartier.read_table(
        shared / "berlin_population" / "berlin-lor-population-2024-02-t2-planning-areas.csv",
        key="id")
    joined, report = quartier.join_indicators(districts, table, left_on="PLR_ID", right_on="id")
    assert report.complete and len(joined) == 542
    # one name that tries to inject markup; one district without a value, one suppressed
    joined = joined.copy()
    joined.loc[joined.index[0], "PLR_NAME"] = "<script>window.__pwned = 1</script>Mitte"
    joined["ew"] = joined["inhabitants"].astype(float)
    joined.loc[joined.index[1], "ew"] = np.nan
    joined.loc[joined.index[2], "ew"] = np.nan
    return joined


def _suppressed(joined):
    """The statistics office suppressed the third district's inhabitants."""
    return pd.Series(joined.index == joined.index[2], index=joined.index)


@pytest.fixture(scope="module")
def berlin_page(berlin, tmp_path_factory):
    out = tmp_path_factory.mktemp("offline")
    m = choropleth(berlin, ["ew", "inhabitants_age_above_65_percentage"], prefer_canvas=False,
                   name=["Einwohner", "Anteil 65+ (%)"], name_col="PLR_NAME",
                   suppressed=pd.DataFrame({"ew": _suppressed(berlin)}))
    kitas = berlin.head(5).copy()
    kitas["geometry"] = kitas.representative_point()
    add_facilities(m, kitas, name="Einrichtungen", popup="PLR_NAME")
    return save_map(m, out / "berlin.html", offline=True, title="Berlin")


def test_offline_map_draws_in_chromium_without_network(browser, berlin_page, tmp_path):
    size = berlin_page.stat().st_size
    assert size < 2_000_000, f"{size} bytes"
    browser.open(berlin_page.as_uri(),
                 ready="document.querySelectorAll('path.leaflet-interactive').length >= 542")
    time.sleep(0.5)
    # districts drawn as SVG paths (542 districts + 5 facility circles)
    paths = browser.evaluate("document.querySelectorAll('path.leaflet-interactive').length")
    assert paths == 542 + 5
    # districts are filled with the class colours, the suppressed one white, missing grey
    fills = browser.evaluate(
        "Array.from(document.querySelectorAll('path.leaflet-interactive'))"
        ".map(p => p.getAttribute('fill'))")
    assert fills.count("#bdbdbd") == 1 and fills.count("#ffffff") == 1
    assert len(set(fills)) >= 5 + 2
    # the legend of the shown layer is drawn; the other layer's legend is hidden
    legends = browser.evaluate(
        "Array.from(document.querySelectorAll('.quartier-legend'))"
        ".map(l => [getComputedStyle(l).display, l.innerText])")
    shown = [text for display, text in legends if display != "none"]
    assert len(legends) == 2 and len(shown) == 1
    assert "Einwohner" in shown[0] and "bis unter" in shown[0]
    assert "keine Angabe" in shown[0] and "gesperrt (Geheimhaltung)" in shown[0]
    assert browser.evaluate("document.querySelector('.leaflet-control-layers') !== null")
    # no tiles, and no request left the page
    assert browser.evaluate("document.querySelectorAll('.leaflet-tile').length") == 0
    urls = browser.requested_urls()
    assert urls and all(u.startswith(("file:", "data:")) for u in urls), urls
    assert browser.blocked == []
    # the screenshot is not blank: many colours, not just the background
    shot = browser.screenshot(tmp_path / "berlin.png")
    from PIL import Image

    image = Image.open(tmp_path / "berlin.png").convert("RGB")
    assert image.size == VIEW
    colours = image.getcolors(maxcolors=1 << 20)
    assert len(colours) > 50 and max(c for c, _ in colours) < 0.6 * VIEW[0] * VIEW[1]
    keep = os.environ.get("QUARTIER_KEEP_SCREENSHOT")
    if keep:
        Path(keep).write_bytes(shot)


def test_script_in_a_name_is_text_in_the_tooltip(browser, berlin_page):
    browser.open(berlin_page.as_uri(),
                 ready="document.querySelectorAll('path.leaflet-interactive').length >= 542")
    # hover the district with the hostile name: fire Leaflet's mouseover on it
    text = browser.evaluate("""
        (() => {
          const layers = Object.values(window).filter(v => v instanceof L.GeoJSON);
          for (const g of layers) {
            for (const l of g.getLayers()) {
              if (l.feature && String(l.feature.properties.t0).includes('script')) {
                l.fire('mouseover', {latlng: l.getCenter()}, true);
                const tip = document.querySelector('.leaflet-tooltip');
                return tip ? [tip.innerText, tip.querySelectorAll('script').length] : null;
              }
            }
          }
          return null;
        })()
    """)
    assert text is not None
    inner, scripts = text
    assert "<script>window.__pwned = 1</script>Mitte" in inner  # shown as text
    assert scripts == 0
    assert browser.evaluate("window.__pwned === undefined")


def test_online_map_would_request_the_cdn(browser, berlin, tmp_path):
    """The recorder works: a non-offline map tries to load Leaflet, and it is blocked."""
    path = save_map(choropleth(berlin.head(3), "ew"), tmp_path / "online.html", offline=False)
    before = len(browser.blocked)
    browser.call("Page.navigate", session=True, url=path.as_uri())
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and len(browser.blocked) == before:
        time.sleep(0.2)
    assert any("leaflet" in u for u in browser.blocked[before:])
