"""Start and the one way out: `main()` builds the board and runs the App,
`leave()` is how the firmware stops (wand.app.main calls main with the App).
"""

from wand.hal import WDT_TIMEOUT_MS, Esp32Board, Leave

# what leave() does after its steps, by reason (any other reason: the REPL)
SLEEP_REASONS = ("auto_off", "power_off")  # SR-07 idle auto-off, the power button's long press
RESET_REASONS = ("reboot", "dac_held")  # console `reboot`; a soft reset left the DAC held


def leave(b, app, reason):
    """The one way out of the firmware (Klipper's invoke_shutdown). Steps:
    the output off and locked (the Supervisor's and the engine's view of it
    set to match), LEDs and tone off, the latched fault stored (SR-12), the
    reason logged. Then deep sleep (SLEEP_REASONS), a hard reset
    (RESET_REASONS), or back to the caller, which returns to the plain REPL
    with no reset (mpremote's Ctrl-A follows at once): only on that path is
    the 1000 ms watchdog relaxed, or the REPL would be reset under the user.
    A Ctrl-C landing while the steps run starts them again; cutting the output
    is always the first. Whatever enables the output again must re-arm the
    1000 ms watchdog first (SR-02): Esp32Board.set_enable refuses until
    arm_watchdog(). b (and app) are None when the firmware stopped before it
    made them: boot.py left the output stage off, and nothing armed the
    watchdog yet."""
    repl = reason not in SLEEP_REASONS and reason not in RESET_REASONS
    while True:
        try:
            if b is not None:
                if repl:
                    b.relax_watchdog()  # output off, locked, then the watchdog relaxed
                else:
                    b.lock_output()  # output off, locked; the watchdog runs on until the chip stops
                b.set_leds(0, 0)  # no stale "running" pattern, no tone left on
                b.set_tone(0)
            if app is not None:
                app.output_off()
                try:
                    if app.sup.fault and b is not None:
                        b.store_fault(app.sup.fault)  # SR-12: survives the sleep or the reset
                    app.note(app.now, "leave", reason)
                except Exception:  # noqa: BLE001 - a failed RTC write or log must not stop the way out
                    pass
            break
        except KeyboardInterrupt:
            pass
    if b is None:
        print("microwand: %s before the board was made: output stage off (boot.py); plain REPL" % reason)
        return
    if not repl:
        if reason == "dac_held":
            print("microwand: the DAC is still held from before the soft reset: hard reset")
        while True:  # a Ctrl-C now would leave for the REPL with the 1000 ms watchdog running
            try:
                if reason in SLEEP_REASONS:
                    b.deepsleep()  # until the power button is pressed: wakes as a reset
                else:
                    b.hard_reset()
                return
            except KeyboardInterrupt:
                pass
    print("microwand: %s: output off and locked, watchdog relaxed; plain REPL (Ctrl-D restarts)" % reason)


def main(app_class, machine, time, esp32=None, observer=None, serial=None, fs=None, dac=None):
    """Build the board, force the output off, arm the watchdog before
    anything can enable the output (SR-02), and run the App's loop. Every
    way out, from the first statement on, goes through leave(): a Ctrl-C
    between arming the watchdog and the loop too."""
    b = None
    app = None
    try:
        b = Esp32Board(machine, time, esp32, dac=dac)
        b.output_off()
        if b.dac_held:
            # ESP-IDF still holds the DAC channel from before a soft reset, so
            # boot.py could not make one. Enable and legs are low (boot.py):
            # a hard reset frees the channel and starts the wand cleanly.
            raise Leave("dac_held")
        if b.woke_to_sleep():
            raise Leave("power_off")  # the power button let go after a sleep began with it held: asleep again
        b.arm_watchdog(WDT_TIMEOUT_MS)  # SR-02: armed before the output can be enabled
        if serial is None:
            from wand.usbserial import UsbSerial

            serial = UsbSerial()
        app = app_class(b, fs, serial, observer)
        app.boot()
        app.run()
    except Leave as e:  # console `repl` / `reboot`, auto-off, power button, DAC held
        leave(b, app, e.args[0])
    except KeyboardInterrupt:  # Ctrl-C (mpremote)
        leave(b, app, "interrupted")
    except Exception:  # escaped the loop's own guard (boot): off, then the traceback
        leave(b, app, "exception")
        raise
    return app
