"""The reset state machine: power, EN, the ROM loader, watchdog, deep sleep, soft reset, and each boot.

What each reset keeps is simboard's reset table (the World reboots with the
cause); the EN pin also clears RTC memory here (*inferred*), the REPL mode
survives a soft reset only. A boot prints the ROM banner, refuses a flash
without an app image, and starts the interpreter after `boot_delay_s`.
"""

from __future__ import annotations

import time

from simboard.vboard.chiplink import WORLD_LOCK
from simboard.vboard.romloader import RomLoader
from simboard.vboard.spiflash import APP_IMAGE_OFFSET
from simboard.world import ChipReset

PWRON_RESET, HARD_RESET, WDT_RESET, DEEPSLEEP_RESET, SOFT_RESET = 1, 2, 3, 4, 5
# What the ROM prints once it found the second-stage bootloader at 0x1000 and
# loads it (an ESP32 running MicroPython 1.2x's generic image, 4 MB, DIO).
ROM_LOAD_LINES = (
    b"configsip: 0, SPIWP:0xee\r\n"
    b"clk_drv:0x00,q_drv:0x00,d_drv:0x00,cs0_drv:0x00,hd_drv:0x00,wp_drv:0x00\r\n"
    b"mode:DIO, clock div:2\r\n"
    b"load:0x3fff0030,len:4728\r\n"
    b"load:0x40078000,len:14888\r\n"
    b"load:0x40080400,len:3368\r\n"
    b"entry 0x400805cc\r\n"
)
ROM_BANNER = {
    PWRON_RESET: "rst:0x1 (POWERON_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)",
    HARD_RESET: "rst:0xc (SW_CPU_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)",
    WDT_RESET: "rst:0xc (SW_CPU_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)",
    DEEPSLEEP_RESET: "rst:0x5 (DEEPSLEEP_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)",
}


class ResetsMixin:
    """Every way the chip stops and starts again, and the boot that follows."""

    def _child_died(self):
        """The interpreter ended on its own: vboot exits only when something broke."""
        child = self._child
        code = child.wait() if child else None
        self._kill_child()
        self._send_host(
            b"\r\nGuru Meditation Error: Core  1 panic'ed (interpreter exited with %s)\r\n"
            % str(code).encode()
        )
        self._halt_world(ChipReset("hard"))
        self._schedule_boot()

    def _halt_world(self, exc: ChipReset) -> None:
        """The chip stops now: the World takes the reset state of its hardware."""
        with WORLD_LOCK:
            if self.world.halt is None:
                try:
                    self.world._halt(exc)
                except ChipReset:
                    pass
            self._pending = (exc, None)

    def _chip_reset(self, exc: ChipReset):
        """The World reset the chip (watchdog, machine.reset(), deepsleep): end the child.
        What it wrote before goes out first: on the chip those bytes left the UART long
        before the reset (raw-paste's end-of-data ack before `machine.reset()` was lost
        here, and mpremote waited its 10 s timeout for it)."""
        self._drain_child_stdout()
        self._kill_child()
        self._pending = (exc, None)
        if exc.cause == "wdt":
            self._send_host(b"E (%d) task_wdt: Task watchdog got triggered.\r\n" % (self._wall_us() // 1000 % 100000))
        if exc.cause == "deepsleep":
            ms = exc.arg or 0
            self._deep_sleeping = True
            self._sleep_until = time.monotonic() + ms / 1000 if ms > 0 else None
            return
        self._schedule_boot()

    def _soft_reset(self):
        self._kill_child()
        self._pending = ("soft", None)
        self._boot()  # MicroPython restarts at once; the WDT keeps running

    def _hard_reset(self, cause: int, en_pin: bool = False):
        """A reset from outside the firmware (the EN pin): RTC memory goes too (*inferred*)."""
        self._kill_child()
        self._rom = None
        self._halt_world(ChipReset("hard"))
        if en_pin:
            self.world.rtc_mem = b""
        self.mode = "friendly"
        self._schedule_boot()

    def _wake_from_deepsleep(self):
        if self._deep_sleeping:
            self._deep_sleeping = False
            self._sleep_until = None
            self._schedule_boot()

    def _schedule_boot(self):
        self.mode = "friendly"
        self._boot_at = time.monotonic() + self.boot_delay_s

    def _power_on(self):
        if self._powered:
            return
        self._powered = True
        self._rom = None
        self._schedule_boot()

    def _power_off(self):
        self._kill_child()
        self._powered = False
        self._rom = None
        self._boot_at = None
        self._sleep_until = None
        self._deep_sleeping = False
        if self.resets:
            self._halt_world(ChipReset("power_cut"))
            self._pending = (ChipReset("power_cut"), None)
            self.world.rtc_mem = b""

    def _enter_bootloader(self):
        self._kill_child()
        self._powered = True
        self._boot_at = None
        self._sleep_until = None
        self._deep_sleeping = False
        self._halt_world(ChipReset("hard"))
        self.world.rtc_mem = b""
        self._pending = (ChipReset("hard"), PWRON_RESET)  # the ROM hands over as after power-on
        self._load_spi_flash()
        self._rom = RomLoader(self._spi, "esp32", mac=self.mac)
        self._send_host(
            b"ets Jun  8 2016 00:22:57\r\n\r\n"
            b"rst:0x1 (POWERON_RESET),boot:0x3 (DOWNLOAD_BOOT(UART0/UART1/SDIO_REI_REO_V2))\r\n"
            b"waiting for download\r\n"
        )

    def _after_rom(self):
        rom = self._rom
        if rom is None:
            return
        changes = rom.take_changes()
        if changes:
            self._save_spi_flash()  # the filesystem region included: littlefs lives in the image
        if rom.run_user_code or rom.reboot_requested:
            self._flush_host_now()
            self._rom = None
            self._schedule_boot()

    def _boot(self):
        """The chip leaves reset: the World boots (reset_cause), then the interpreter starts."""
        spi = self._spi
        pending, self._pending = self._pending, None
        with WORLD_LOCK:
            if pending is not None:
                self.world.reboot_now(*pending)
            self.link.new_boot()
            if self._bench and self.world.cause == PWRON_RESET:
                # bench: the level button held at power-up (SR-09), released 2.5 s after the
                # interpreter is up (see _control "mode"), as a person holds it through the boot
                self._bench = False
                self._bench_release = True
                self.world.act_hold("level")
        cause = self.world.cause
        if cause != SOFT_RESET:
            self.mode = "friendly"
            self._send_host(b"ets Jun  8 2016 00:22:57\r\n\r\n%s\r\n" % ROM_BANNER[cause].encode())
            if spi is None or spi[APP_IMAGE_OFFSET] != 0xE9:
                word = int.from_bytes(spi[APP_IMAGE_OFFSET : APP_IMAGE_OFFSET + 4], "little") if spi else 0
                self._send_host(b"invalid header: 0x%08x\r\n" % word)
                self.resets.append((time.monotonic(), cause))
                return  # nothing to run: the ROM keeps complaining until the next reset
            self._send_host(ROM_LOAD_LINES)
        self.resets.append((time.monotonic(), cause))
        self._start_interpreter()
