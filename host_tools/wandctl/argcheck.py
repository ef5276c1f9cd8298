"""Checks of command-line values made before anything slow starts.

- number types for argparse (`positive_float`, `int_range`): a bad value is an
  argparse error, so it is reported (with the subcommand's usage) before a port
  is opened or a simulation runs;
- `output_file()`: an output path the command will write at the end of a long
  run, checked at the start: not a folder, its folder creatable, and for images
  a file type the plotting library writes; `output_folder()` the same for a
  folder the command writes into.
"""

from __future__ import annotations

import argparse
import math
import os
from pathlib import Path

from wandctl.errors import WandctlError


def positive_float(what: str = "a number of seconds", most: float = 86400.0):
    """argparse type: a finite number above 0 and at most `most` (a timeout of 1e308 s waited for ever)."""

    def parse(text: str) -> float:
        try:
            v = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError("%r is not a number (%s above 0 is needed)" % (text, what)) from None
        if not math.isfinite(v) or v <= 0:
            raise argparse.ArgumentTypeError("%s must be above 0, not %s" % (what, text))
        if v > most:
            raise argparse.ArgumentTypeError("%s must be at most %g, not %s" % (what, most, text[:40]))
        return v

    return parse


def int_range(lo: int, hi: int, what: str = "a whole number"):
    """argparse type: a whole number from lo to hi."""

    def parse(text: str) -> int:
        try:
            v = int(text, 10)
        except ValueError:
            raise argparse.ArgumentTypeError("%r is not a whole number (%s from %d to %d)"
                                             % (text, what, lo, hi)) from None
        if not lo <= v <= hi:
            raise argparse.ArgumentTypeError("%s must be from %d to %d, not %d" % (what, lo, hi, v))
        return v

    return parse


def image_types() -> list[str]:
    """The file types matplotlib's Agg backend writes (png, svg, pdf, ...)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    return sorted(Figure().canvas.get_supported_filetypes())


def output_file(path: str, flag: str, suffixes: list[str] | None = None, example: str = "out.json") -> Path:
    """Check that `path` can be written at the end of a run; return it as a Path.

    A missing folder is created (as `make sim` needs for build/sim/), but only if
    every existing part of the path is a folder we may write in.
    """
    p = Path(path)
    if not path.strip():
        raise WandctlError("%s needs a file name, e.g. %s %s" % (flag, flag, example))
    if path.endswith(("/", os.sep)) or p.is_dir():
        raise WandctlError("%s %s is a folder: give a file name, e.g. %s" % (flag, path, Path(path) / example))
    if suffixes is not None:
        ext = p.suffix.lower().lstrip(".")
        if ext not in suffixes:
            shown = ", ".join("." + s for s in suffixes if s in ("png", "svg", "pdf", "jpg"))
            if not ext:
                raise WandctlError("%s %s has no file extension: end the name with %s (e.g. %s.png)"
                                   % (flag, path, shown, path))
            raise WandctlError("%s %s: cannot write .%s images; use %s" % (flag, path, ext, shown))
    _creatable(p.parent if str(p.parent) else Path("."), flag, path)
    if p.exists() and not os.access(p, os.W_OK):
        raise WandctlError("%s %s: the file exists and is read-only" % (flag, path))
    if p.exists() and not p.is_file():
        raise WandctlError("%s %s: not a regular file" % (flag, path))
    _writable(p.parent if str(p.parent) else Path("."), flag, path)
    return p


def output_folder(path: str, flag: str, example: str = "out") -> Path:
    """Check that `path` is a folder, or one that can be created; return it as a Path."""
    p = Path(path)
    if not path.strip():
        raise WandctlError("%s needs a folder name, e.g. %s %s" % (flag, flag, example))
    if p.exists() and not p.is_dir():
        raise WandctlError("%s %s is a file, not a folder: give a folder (e.g. %s)" % (flag, path, example))
    _creatable(p, flag, path)
    _writable(p, flag, path)
    return p


def _writable(folder: Path, flag: str, path: str) -> None:
    """Write (and remove) a file in the folder's nearest existing part, before any long run, creating nothing:
    the permission bits do not tell it all (as root, /proc/x passed them and the run failed at its end: a
    helper's audit)."""
    import tempfile

    probe = folder
    while not probe.exists():
        probe = probe.parent
    try:
        with tempfile.NamedTemporaryFile(dir=probe, prefix=".wandctl-probe-"):
            pass
    except OSError as e:
        raise WandctlError("%s %s: cannot write there: %s" % (flag, path, e.strerror or e)) from None


def _creatable(folder: Path, flag: str, path: str) -> None:
    """`folder` exists or can be made: its nearest existing part is a folder we may write in."""
    probe = folder
    while not probe.exists():
        if probe.is_symlink():
            raise WandctlError("%s %s: %s is a broken link" % (flag, path, probe))
        probe = probe.parent
    if not probe.is_dir():
        raise WandctlError("%s %s: %s is a file, not a folder" % (flag, path, probe))
    if not os.access(probe, os.W_OK | os.X_OK):
        raise WandctlError("%s %s: no permission to write in %s" % (flag, path, probe))


def make_parent(p: Path, flag: str) -> None:
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise WandctlError("%s %s: cannot create its folder: %s" % (flag, p, e.strerror or e)) from None


def write_text(p: Path, text: str, flag: str) -> None:
    """Write `text` to `p` (checked with output_file first) as a user-facing step."""
    make_parent(p, flag)
    try:
        p.write_text(text)
    except OSError as e:
        raise WandctlError("%s %s: cannot write it: %s" % (flag, p, e.strerror or e)) from None


def read_input(path: Path, flag: str, most: int) -> bytes:
    """The bytes of an input file, checked first: a regular file (a FIFO blocked for ever, /proc/self/mem raised
    an I/O error, a 20 GB sparse file ran the memory out: a helper's audit) of at most `most` bytes."""
    import stat

    try:
        st = path.stat()
    except OSError as e:
        raise WandctlError("%s %s: %s" % (flag, path, e.strerror or e)) from None
    if not stat.S_ISREG(st.st_mode):
        raise WandctlError("%s %s: not a regular file" % (flag, path))
    if st.st_size > most:
        raise WandctlError("%s %s: %d bytes, more than the %d this takes" % (flag, path, st.st_size, most))
    try:
        with open(path, "rb") as f:
            return f.read(most + 1)[:most]
    except OSError as e:
        raise WandctlError("%s %s: cannot read it: %s" % (flag, path, e.strerror or e)) from None
