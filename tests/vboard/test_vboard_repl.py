"""The virtual board as mpremote and pyserial see it: raw REPL, filesystem, resets, watchdog, power."""

import json
import signal
import subprocess
import sys
import time

import pytest
import serial
from vbhelpers import REPO, mpremote, wait_for

from simboard.vboard import DEEPSLEEP_RESET, HARD_RESET, PWRON_RESET, SOFT_RESET, WDT_RESET, VirtualBoard

pytestmark = pytest.mark.slow  # virtual board on a pty


def test_mpremote_exec_and_fs_commands_work_inside_the_flash_folder(board, tmp_path):
    r = mpremote(board.port, "exec", "print(1+1)")
    assert r.returncode == 0 and r.stdout.strip() == "2", r
    src = tmp_path / "data.bin"
    src.write_bytes(bytes(range(256)) * 40)
    r = mpremote(
        board.port,
        "fs",
        "mkdir",
        ":lib",
        "+",
        "fs",
        "cp",
        src,
        ":lib/data.bin",
        "+",
        "fs",
        "cp",
        src,
        ":/top.bin",
        "+",
        "fs",
        "ls",
        ":lib",
        "+",
        "fs",
        "sha256sum",
        ":lib/data.bin",
    )
    assert r.returncode == 0, r
    import hashlib

    assert hashlib.sha256(src.read_bytes()).hexdigest() in r.stdout
    assert "10240 data.bin" in r.stdout  # littlefs's ilistdir gives sizes
    assert (board.files / "lib" / "data.bin").read_bytes() == src.read_bytes()
    assert (board.files / "top.bin").exists()  # ":/top.bin" is the board's root, not the host's
    r = mpremote(board.port, "fs", "cp", src, ":lib/data.bin")
    assert "Up to date" in r.stdout  # mpremote's sha256 skip works against the board
    r = mpremote(
        board.port,
        "fs",
        "rm",
        ":lib/data.bin",
        "+",
        "exec",
        "import os; print(os.getcwd(), sorted(os.listdir('/')))",
    )
    assert r.returncode == 0 and not (board.files / "lib" / "data.bin").exists()
    assert r.stdout.strip().splitlines()[-1] == "/ ['boot.py', 'lib', 'top.bin']"  # boot.py: inisetup's


def test_reset_kinds_keep_and_lose_chip_state_as_platform_md_says(board):
    r = mpremote(
        board.port,
        "exec",
        "import machine; machine.Pin(27, machine.Pin.OUT, value=1); machine.DAC(machine.Pin(25)).write(77);"
        " machine.RTC().memory(bytearray(b'keep'))",  # any buffer, as on the chip (the firmware's is a bytearray)
    )
    assert r.returncode == 0, r
    assert board.pins[27] == 1 and board.dac[25] == 77 and board.rtc == b"keep"
    # soft reset (mpremote does Ctrl-D in the raw REPL): GPIO, DAC and RTC memory survive
    r = mpremote(
        board.port,
        "soft-reset",
        "exec",
        "import machine; print(machine.reset_cause(), machine.RTC().memory())",
    )
    assert r.returncode == 0 and r.stdout.split() == ["5", "b'keep'"], r
    assert board.pins[27] == 1 and board.dac[25] == 77 and board.resets[-1][1] == SOFT_RESET
    # machine.reset(): GPIO and DAC back to reset state, RTC memory kept
    n = len(board.resets)
    mpremote(board.port, "reset", timeout=30)  # machine.reset() in the raw REPL
    wait_for(lambda: HARD_RESET in [c for _, c in board.resets[n:]], what="hard reset")
    board.wait_ready()
    assert board.resets[-1][1] == HARD_RESET and board.pins == {} and board.rtc == b"keep"
    r = mpremote(board.port, "resume", "exec", "import machine; print(machine.reset_cause())")
    assert r.stdout.strip() == "2", r  # `resume`: no soft reset on connect
    # power cycle: everything but the files is gone
    board.power_cycle()
    assert board.resets[-1][1] == PWRON_RESET and board.rtc == b""
    r = mpremote(
        board.port, "resume", "exec", "import machine; print(machine.reset_cause(), machine.RTC().memory())"
    )
    assert r.stdout.split() == ["1", "b''"], r


def test_watchdog_keeps_running_through_soft_reset_and_resets_a_long_session(board):
    n = len(board.resets)
    # one mpremote session: arm (5 s: the session must end before it fires, even on a busy
    # host), soft-reset (Ctrl-D in the raw REPL), and still run code
    r = mpremote(
        board.port, "exec", "import machine; machine.WDT(0, 5000)", "+", "soft-reset", "+",
        "exec", "print('still here')",
    )
    assert r.returncode == 0 and "still here" in r.stdout, r
    causes = [c for _, c in board.resets[n:]]
    assert causes[:2] == [SOFT_RESET, SOFT_RESET], board.resets  # mpremote's own, then soft-reset
    # nobody feeds it from the REPL: the chip resets, whatever the REPL is doing
    wait_for(lambda: WDT_RESET in [c for _, c in board.resets[n:]], what="watchdog reset")
    assert board.resets[-1][1] == WDT_RESET and board.wdt_ms == 0
    board.wait_ready()
    r = mpremote(board.port, "resume", "exec", "import machine; print(machine.reset_cause())")
    assert r.stdout.strip() == "3", r


def test_ctrl_c_interrupts_main_and_friendly_repl_behaves(board):
    (board.files / "main.py").write_text(
        "import time\ntry:\n    while True:\n        time.sleep_ms(5)\nexcept KeyboardInterrupt:\n"
        "    print('main interrupted')\n    raise\n"
    )
    board.power_cycle()
    with serial.Serial(board.port, 115200, timeout=0.2) as s:
        time.sleep(0.8)
        s.write(b"\x03")
        got = _read_until(s, b">>> ")
        assert got and b"main interrupted" in got and b"KeyboardInterrupt" in got, got
        assert b"\n" not in got.replace(b"\r\n", b""), got  # print and the traceback: CRLF, no bare LF
        s.write(b"1+2\r")
        assert _read_until(s, b">>> ").endswith(b"1+2\r\n3\r\n>>> ")  # output is cooked: CRLF, as the chip's
        s.write(b"\x04")  # Ctrl-D: soft reboot, boot.py and main.py run again
        assert _read_until(s, b"soft reboot\r\n")
        board.wait_ready()
        time.sleep(0.5)  # main.py is running again
        s.write(b"\x03")
        assert b"main interrupted" in _read_until(s, b">>> ")


def test_a_main_py_of_bytes_that_are_no_utf8_prints_its_error_and_the_repl_answers(board):
    """A helper's audit: a main.py of random bytes panicked the virtual board on every boot (its file read
    raised outside the error printing), where the chip's pyexec prints the error and goes on to the REPL."""
    (board.files / "main.py").write_bytes(bytes(range(128, 256)) * 4)
    board.power_cycle()
    with serial.Serial(board.port, 115200, timeout=0.2) as s:
        time.sleep(0.5)
        s.write(b"\r")
        assert _read_until(s, b">>> ")
        s.write(b"6*7\r")
        # (until the answer, whatever prompts the boot left before it: a loaded machine reads them late)
        assert _read_until(s, b"6*7\r\n42\r\n>>> ") is not None


def test_friendly_repl_edits_lines_as_the_chips_readline_does(board):
    """The ESP32's friendly REPL (shared/readline with auto-indent, py/repl.c's continuation
    rule), byte for byte: a block typed line by line runs; help() is CRLF like all console text."""
    (board.files / "main.py").write_text("")
    board.power_cycle()
    with serial.Serial(board.port, 115200, timeout=0.2) as s:
        time.sleep(0.5)
        s.write(b"\r")  # (what the board printed before the port was open is gone)
        assert _read_until(s, b">>> ")
        time.sleep(0.3)
        s.reset_input_buffer()  # (a prompt from the boot may follow the one read)

        def typed(text, ending=b"... "):
            s.write(text)
            got = _read_until(s, ending)
            assert got is not None, text
            return got

        # a block: the next prompt holds the indent (echoed), a line of only that indent indents
        # again, two such lines end the auto-indent, an empty line ends the block
        assert typed(b"for i in range(2):\r", b"...     ") == b"for i in range(2):\r\n...     "
        assert typed(b"print(i * 10)\r", b"...     ") == b"print(i * 10)\r\n...     "
        assert typed(b"\r", b"...     ") == b"\r\n...     "
        assert typed(b"\r", b"... ") == b"\r\n... "
        assert typed(b"\r", b">>> ") == b"\r\n0\r\n10\r\n>>> "
        # a space right after the auto-indent takes 3 of its 4 spaces back (one is left)
        typed(b"def f():\r", b"...     ")
        assert typed(b" return 7\r", b"... ") == b"\x08\x08\x08return 7\r\n... "
        assert typed(b"\r", b">>> ") == b"\r\n>>> "
        assert typed(b"f()\r", b">>> ") == b"f()\r\n7\r\n>>> "
        # a trailing backslash or an open bracket continues; the statement then ends by itself
        assert typed(b"1+\\\r") == b"1+\\\r\n... "
        assert typed(b"2\r", b">>> ") == b"2\r\n3\r\n>>> "
        assert typed(b"(1,\r") == b"(1,\r\n... "
        assert typed(b"2)\r", b">>> ") == b"2)\r\n(1, 2)\r\n>>> "
        # backspace: back one, erase to the end of the line (VT100); a lone LF is no Enter
        assert typed(b"12\x7f3\n\r", b">>> ") == b"12\x08\x1b[K3\r\n13\r\n>>> "
        # the up arrow brings the last line back; Ctrl-C drops the line
        assert typed(b"\x1b[A\x03", b">>> ") == b"13\r\n>>> "
        got = typed(b"help()\r", b">>> ")
        assert b"Welcome to MicroPython" in got and b"CTRL-D" in got
        assert b"\n" not in got.replace(b"\r\n", b""), got  # no bare LF


def _read_until(s, ending, timeout=10):
    data = b""
    end = time.monotonic() + timeout
    while not data.endswith(ending) and time.monotonic() < end:
        data += s.read(1)
    return data if data.endswith(ending) else None


def test_power_cut_while_a_file_is_open_keeps_its_old_content(board):
    """littlefs: a file is committed at close; a new file can survive empty."""
    (board.files / "cfg.txt").write_text("old")
    with serial.Serial(board.port, 115200, timeout=0.2) as s:
        s.write(b"\x03\r")
        _read_until(s, b">>> ")
        s.write(b"f = open('cfg.txt', 'w'); f.write('new content'); g = open('fresh.txt', 'w'); g.write('x')")
        s.write(b"; print('wr' + 'itten')\r")
        assert _read_until(s, b"written\r\n")  # both files are open, written, not closed
    board.power_cut()
    board.power_on()
    board.wait_ready()
    assert (board.files / "cfg.txt").read_text() == "old"
    assert (board.files / "fresh.txt").read_text() == ""
    assert sorted(p.name for p in board.files.iterdir()) == ["boot.py", "cfg.txt", "fresh.txt"]


def test_serve_prints_the_port_first_and_takes_controls(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "simboard.vboard", "--flash", str(tmp_path / "f"), "--seed", "3"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    try:
        first = proc.stdout.readline()
        assert first.startswith("port: /dev/pts/"), first
        port = first.split()[1]
        r = mpremote(port, "exec", "print(1)")
        assert r.returncode == 0 and r.stdout.strip() == "1", r
        proc.stdin.write("status\n")
        proc.stdin.flush()
        line = ""
        while not line.startswith("{"):
            line = proc.stdout.readline()
        status = json.loads(line)
        assert status["running"] and not status["bootloader"]
        proc.stdin.write("quit\n")
        proc.stdin.flush()
        assert proc.wait(20) == 0
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(10)


def test_board_ignores_input_while_in_reset_and_drops_output_nobody_reads(tmp_path):
    with VirtualBoard(tmp_path / "flash", boot_delay_s=0.5) as b:
        b.wait_boots(1)
        b.reset()
        with serial.Serial(b.port, 115200, timeout=0.2) as s:
            s.write(b"print('lost')\r")  # sent while the chip is held in reset
            time.sleep(1.0)
            s.write(b"print('seen')\r")
            out = _read_until(s, b">>> ") or b""
            time.sleep(0.2)
            out += s.read(4096)
        assert b"seen" in out and b"lost" not in out


def test_deepsleep_wakes_on_timer_or_power_button_with_its_reset_cause(board):
    with serial.Serial(board.port, 115200, timeout=0.2) as s:
        s.write(b"\x03\r")
        _read_until(s, b">>> ")
        s.write(b"import machine; machine.RTC().memory(b'z'); machine.deepsleep(300)\r")
        wait_for(lambda: DEEPSLEEP_RESET in [c for _, c in board.resets], what="wake from deep sleep")
        board.wait_ready()
        assert board.rtc == b"z"  # RTC memory survives deep sleep
        s.write(b"\x03\r")
        _read_until(s, b">>> ")
        s.write(b"import machine; machine.deepsleep()\r")  # no timer: only the power button wakes it
        wait_for(lambda: not board.running, what="sleep")
        n = len(board.resets)
        time.sleep(0.5)
        assert len(board.resets) == n and not board.running
        board.press("power")
        board.wait_boots(n + 1)
        assert board.resets[-1][1] == DEEPSLEEP_RESET


def test_power_on_prints_the_rom_lines_the_bootloader_lines_then_micropython(board):
    """What a serial monitor shows at power-on, in a real ESP32's order."""
    with serial.Serial(board.port, 115200, timeout=0.2) as s:
        board.power_cycle()
        # (the prompt of the boot before the power cycle may still be on its way: read on
        # to the prompt that follows the ROM's first line; it ended the read once, 1 run in 3)
        got = b""
        end = time.monotonic() + 30
        while time.monotonic() < end and not (0 <= got.find(b"ets Jun  8 2016") < got.rfind(b">>> ")
                                              and got.endswith(b">>> ")):
            got += s.read(1)
        got = got[got.find(b"ets Jun  8 2016"):] if b"ets Jun  8 2016" in got else got
    assert got.endswith(b">>> "), ("no prompt after the power cycle", got)
    marks = [b"ets Jun  8 2016", b"rst:0x1 (POWERON_RESET),boot:0x13", b"configsip: 0", b"mode:DIO",
             b"entry 0x", b"MicroPython v", b'Type "help()" for more information.\r\n>>> ']
    at = [got.find(m) for m in marks]
    assert -1 not in at and at == sorted(at), (at, got)


def test_output_written_before_machine_reset_reaches_the_host(tmp_path):
    """Raw-paste acknowledges the end of the code before running it; the chip
    then resets. The ack left the UART long before the reset, so mpremote
    gets it (the board killed the interpreter before reading what it wrote, in
    some runs: mpremote waited 10 s for the ack and a deploy's reset took 10 s
    longer than on a chip)."""
    from mpremote.transport_serial import SerialTransport

    with VirtualBoard(tmp_path / "flash", seed=1, uart_baud=115200) as board:  # the UART's pace, as a chip's
        for _ in range(3):  # (the ack raced the reset: lost in some runs)
            board.wait_ready()
            t = SerialTransport(board.port, baudrate=115200)
            try:
                t.enter_raw_repl(soft_reset=False)
                n = len(board.resets)
                t.exec_raw_no_follow("import machine\nmachine.reset()")  # TransportError without the ack
            finally:
                t.close()
            wait_for(lambda n=n: HARD_RESET in [c for _, c in board.resets[n:]], what="hard reset")
