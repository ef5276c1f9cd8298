"""The browser installer page (build/web) in headless Debian Chromium, driven by Playwright.

What is checked: the page loads with no console error, no failed request and
nothing fetched from outside this machine; every ESP Web Tools manifest parses
and every part it names exists, and is what belongs at the offset it says (an
ESP32 bootloader header at 0x1000 whose flash size is the manifest's, and the
littlefs at 0x200000 mounting with that flash size's block count); the safety
list is visible before the install button appears, and above it.

What cannot be checked here: the flashing itself. Web Serial needs a person to
pick a port in the browser's chooser, which headless Chromium cannot show, so
esptool-js never runs in this test (docs/flashing.md says so).

Dependencies install themselves: Playwright's Python package (pyproject dev
extra, or pip here) and Debian's chromium (web/ensure_chromium.sh, as root).
Without chromium the test is skipped with the reason, except in CI (CI=true),
where it fails.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "host_tools"))

from wandctl import flash as fl  # noqa: E402
from wandctl import image as im  # noqa: E402
from wandctl import image_verify  # noqa: E402

HEADER_SIZE = {"4MB": 0x20, "8MB": 0x30, "16MB": 0x40}
# one worker for the module: its `site` fixture runs `npm ci` in the shared build/web-npm,
# and two workers running it at once broke each other's install (ENOTEMPTY, in CI)
pytestmark = pytest.mark.xdist_group("web")


def _need(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def chromium():
    path = shutil.which("chromium")
    if path is None:
        subprocess.run(["bash", str(REPO / "web" / "ensure_chromium.sh")], check=False, timeout=900)
        path = shutil.which("chromium")
    if path is None:
        _need("Debian's chromium is not installed and web/ensure_chromium.sh could not install it")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "playwright==1.65.2"], check=False)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _need("Playwright's Python package is not installed and pip could not install it")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=path, headless=True, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """`make web` into a temporary folder (the npm install is cached in build/web-npm), served on 127.0.0.1."""
    d = tmp_path_factory.mktemp("web")
    mp = d / "ESP32_GENERIC-SYNTHETIC-TEST-v1.29.0.bin"
    mp.write_bytes(fl.build_merged_image("esp32", version="v1.29.0", code_size=12000, seed=9))
    out = d / "web"
    r = subprocess.run(
        [sys.executable, str(REPO / "web" / "build.py"), "--micropython", str(mp), "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stdout + r.stderr

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(out)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield out, "http://127.0.0.1:%d/" % server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def _open(browser, url):
    page = browser.new_page()
    problems: list[str] = []
    outside: list[str] = []
    page.on("console", lambda m: problems.append("console %s: %s" % (m.type, m.text)) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append("page error: %s" % e))
    page.on("requestfailed", lambda r: problems.append("request failed: %s" % r.url))
    page.on(
        "response", lambda r: problems.append("HTTP %d: %s" % (r.status, r.url)) if r.status >= 400 else None
    )
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(url) else None)
    page.goto(url + "index.html", wait_until="networkidle")
    page.evaluate("customElements.whenDefined('esp-web-install-button')")
    return page, problems, outside


def test_page_loads_clean_and_shows_the_safety_list_before_the_button(chromium, site):
    out, url = site
    page, problems, outside = _open(chromium, url)
    notes = page.locator("#not-for")
    button = page.locator("esp-web-install-button")
    assert notes.is_visible()
    text = notes.inner_text()
    for phrase in ("pacemaker", "pregnant", "epilepsy", "while connected to USB power", "under 18"):
        assert phrase in text, phrase
    assert not button.is_visible()  # nothing to click before the list is acknowledged
    assert page.locator("#test-build").is_visible()  # built from the synthetic MicroPython: said so
    page.locator("#ack").check()
    assert button.is_visible()
    assert notes.bounding_box()["y"] + notes.bounding_box()["height"] <= button.bounding_box()["y"]
    # notes come first in the document too (what a screen reader reads first)
    assert page.evaluate(
        "document.getElementById('not-for').compareDocumentPosition("
        "document.querySelector('esp-web-install-button')) & Node.DOCUMENT_POSITION_FOLLOWING"
    )
    assert button.get_attribute("manifest") == "manifest-4MB.json"
    page.select_option("#flash-size", "8MB")
    assert button.get_attribute("manifest") == "manifest-8MB.json"
    assert page.locator("#image-link").inner_text() == "microwand-0.1.0-esp32-8MB.bin"
    assert page.locator("#console-link").get_attribute("href") == "console.html"
    (REPO / "build" / "web-test").mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(REPO / "build" / "web-test" / "installer.png"), full_page=True)
    page.locator("#console-link").click()
    page.wait_for_load_state("load")
    assert page.url.endswith("/console.html") and "115200" in page.inner_text("body")
    assert problems == [] and outside == [], (problems, outside)
    page.close()


def test_every_manifest_parses_and_every_part_sits_at_its_offset(chromium, site):
    out, url = site
    page, problems, _ = _open(chromium, url)
    builds = page.evaluate("fetch('builds.json').then(r => r.json())")
    assert [b["flash_size"] for b in builds] == ["4MB", "8MB", "16MB"]
    for b in builds:
        # parsed by the browser, as ESP Web Tools does
        man = page.evaluate("(u) => fetch(u).then(r => r.text()).then(t => JSON.parse(t))", b["manifest"])
        assert set(man) == {"name", "version", "new_install_prompt_erase", "new_install_improv_wait_time", "builds"}
        assert man["version"] == "0.1.0" and man["new_install_prompt_erase"] is True
        # no Improv Wi-Fi probe to the wand's console (its binary packets are not console lines)
        assert man["new_install_improv_wait_time"] == 0
        assert [x["chipFamily"] for x in man["builds"]] == ["ESP32"]
        for part in man["builds"][0]["parts"]:
            # the browser gets the file (as ESP Web Tools will) and its sha256 is the published one
            got = page.evaluate(
                """async (u) => {
                    const r = await fetch(u);
                    const buf = await r.arrayBuffer();
                    const d = new Uint8Array(await crypto.subtle.digest("SHA-256", buf));
                    return {status: r.status, size: buf.byteLength,
                            sha256: Array.from(d, (x) => x.toString(16).padStart(2, "0")).join("")};
                }""",
                part["path"],
            )
            data = (out / part["path"]).read_bytes()
            assert got == {"status": 200, "size": len(data), "sha256": b["sha256"]}, part
            assert part["offset"] == 0x1000 == json.loads((out / b["files"]).read_text())["offset"]
            # at 0x1000: the ESP32 second-stage bootloader, its header saying this flash size
            assert data[0] == 0xE9 and data[3] & 0xF0 == HEADER_SIZE[b["flash_size"]]
            info = fl.classify_firmware(data)
            assert (info.chip, info.offset, info.kind) == ("esp32", part["offset"], "merged")
            # at 0x200000 (part offset + 0x1FF000): littlefs for exactly this flash size
            blocks = (im.FLASH_SIZES[b["flash_size"]] - 0x200000) // 4096
            files = im.read_littlefs(data[0x200000 - part["offset"] :], blocks)
            assert "/main.py" in files and "/lib/wand/app.mpy" in files
            # the image checks out against the manifest inside it, as `wandctl flash --image` checks it
            assert image_verify.inspect_release(data).files.keys() == set(files) - {im.MANIFEST_IN_FS}
    # the vendored ESP Web Tools reads that field (older releases ignored it and probed anyway)
    dialogs = list((out / "vendor" / "esp-web-tools").rglob("*.js"))
    assert any("new_install_improv_wait_time" in f.read_text(errors="replace") for f in dialogs)
    assert problems == [], problems
    page.close()
