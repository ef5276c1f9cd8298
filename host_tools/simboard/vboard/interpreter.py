"""The CPU: the MicroPython unix-port process that runs vboot.py, started at each boot, ended at each reset.

Its stdin/stdout are the UART; the chip link is a pipe pair passed to it
(VBOARD_LINK_R/W); a state file tells vboot the REPL mode, the boot count and
the flash geometry.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from simboard import flashlayout
from simboard.vboard.errors import VirtualBoardError
from simboard.vboard.spiflash import FLASH_SIZE
from simboard.vboard.worldclock import runqueue_ns
from wandctl.tools import ToolNotFound, find_tool

HERE = Path(__file__).resolve().parent
VBOOT = HERE / "mpy" / "vboot.py"
CHIP_DIR = HERE / "chip"


def find_micropython() -> str:
    try:
        return find_tool("micropython")
    except ToolNotFound as e:
        raise VirtualBoardError(str(e)) from None


class InterpreterMixin:
    """Start the interpreter of a boot; kill it (and close its pipes) at a reset."""

    def _vfs_geometry(self) -> dict:
        """littlefs where the flashed partition table puts it (flashlayout's geometry otherwise)."""
        offset, size = self.vfs_region()
        return dict(flashlayout.geometry(FLASH_SIZE), offset=offset, block_count=size // flashlayout.BLOCK_SIZE)

    def _start_interpreter(self):
        """The interpreter of this boot, with the chip link and the state file vboot reads."""
        state = {
            "mode": self.mode,
            "boots": len(self.resets),
            "spi_flash": str(self.spi_flash_path.resolve()),
            "vfs": self._vfs_geometry(),
        }
        self._state_file.write_text(json.dumps(state))
        req_r, req_w = os.pipe()  # child -> board: requests and notices
        rep_r, rep_w = os.pipe()  # board -> child: replies
        os.set_blocking(rep_r, False)  # the child polls, then reads what is there
        env = dict(os.environ)
        env.update(
            {
                "VBOARD_STATE_FILE": str(self._state_file),
                "VBOARD_CHIP_DIR": str(self.chip_dir),
                "VBOARD_LINK_R": str(rep_r),
                "VBOARD_LINK_W": str(req_w),
            }
        )
        env.pop("MICROPYPATH", None)
        try:
            self._child = subprocess.Popen(
                [
                    self.micropython,
                    "-X",
                    "heapsize=" + self.heap,
                    str(VBOOT),
                    str(self.chip_dir),
                    str(self.flash_dir),
                    str(self._state_file),
                ],
                cwd=self.flash_dir,
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                bufsize=0,
                start_new_session=True,
                pass_fds=(rep_r, req_w),
            )
        finally:
            os.close(rep_r)
            os.close(req_w)
        self._link_fds = (req_r, rep_w)
        self._link_in = b""
        os.set_blocking(self._child.stdin.fileno(), False)

    def _kill_child(self):
        child = self._child
        if child is not None:
            self._lag_base_ns += runqueue_ns("/proc/%d/schedstat" % child.pid)
        self._child = None
        self._ready.clear()
        self._code_running = False
        self._to_child.clear()
        self._child_out_buf = b""
        self._link_in = b""
        if child is not None:
            if child.poll() is None:
                child.kill()
            child.wait()
            for f in (child.stdin, child.stdout, child.stderr):
                try:
                    f.close()
                except OSError:
                    pass
        if self._link_fds is not None:
            for fd in self._link_fds:
                try:
                    os.close(fd)
                except OSError:
                    pass
            self._link_fds = None
