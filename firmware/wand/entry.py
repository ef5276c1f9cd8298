"""Start and the one way out: `main()` builds the board and runs the App,
`leave()` is how the firmware stops (wand.app.main calls main with the App).
"""

from wand.hal import WDT_TIMEOUT_MS, Esp32Board, Leave


def leave(b, app, reason):
    """The one way out of the firmware (Klipper's shutdown): output off and
    locked, watchdog relaxed, LEDs and tone off, the reason logged; then a hard reset for
    "reboot", else back to the caller, which returns to the plain REPL with no
    reset (mpremote's Ctrl-A follows at once). A Ctrl-C landing while this runs
    starts the steps again; output_off() is always the first one. Whatever
    enables the output again must re-arm the 1000 ms watchdog first (SR-02):
    Esp32Board.set_enable refuses until arm_watchdog()."""
    while True:
        try:
            b.relax_watchdog()  # output off, locked, then the watchdog relaxed
            b.set_leds(0, 0)  # no stale "running" pattern, no tone left on at the REPL
            b.set_tone(0)
            if app is not None:
                app.log_event(app.now, "leave", reason)
                app.observer.event(app.now, "leave", reason)
            break
        except KeyboardInterrupt:
            pass
    if reason == "reboot":
        b.hard_reset()
    print("microwand: %s: output off and locked, watchdog relaxed; plain REPL (Ctrl-D restarts)" % reason)


def main(app_class, machine, time, esp32=None, observer=None, serial=None, fs=None, dac=None):
    """Build the board, force the output off, arm the watchdog before
    anything can enable the output (SR-02), and run the App's loop; every
    way out goes through leave()."""
    try:
        b = Esp32Board(machine, time, esp32, dac=dac)
    except OSError:
        # After a soft reset ESP-IDF still holds the DAC channel, so boot.py
        # could not make one. Enable and legs are low (boot.py): a hard reset
        # frees the channel and starts the wand cleanly.
        print("microwand: the DAC is still held from before the soft reset: hard reset")
        machine.reset()
        return None
    b.output_off()
    b.arm_watchdog(WDT_TIMEOUT_MS)  # SR-02: armed before the output can be enabled
    if serial is None:
        from wand.usbserial import UsbSerial

        serial = UsbSerial()
    app = app_class(b, fs, serial, observer)
    try:
        app.boot()
        app.run()
    except Leave as e:  # console `repl` / `reboot`
        leave(b, app, e.args[0])
    except KeyboardInterrupt:  # Ctrl-C (mpremote)
        leave(b, app, "interrupted")
    except Exception:  # escaped the loop's own guard (boot): off, then the traceback
        leave(b, app, "exception")
        raise
    return app
