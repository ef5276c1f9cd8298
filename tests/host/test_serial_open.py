"""One set of messages for a port that cannot be opened, whichever opener a command uses:
pyserial (open_serial) or mpremote's transport (open_transport: deploy, reset, repl)."""

import pytest

from wandctl.errors import WandctlError
from wandctl.serialport import open_serial, open_transport


@pytest.mark.parametrize("port", ["/dev/null", "/dev/ttyNOSUCH9", "{tmp}", "{tmp}/file"])
def test_both_openers_say_the_same(port, tmp_path):
    port = port.format(tmp=tmp_path)
    (tmp_path / "file").write_text("x")
    with pytest.raises(WandctlError) as a:
        open_serial(port)
    with pytest.raises(WandctlError) as b:
        open_transport(port)
    assert str(a.value) == str(b.value)
    assert port in str(a.value) and ("not a serial device" in str(a.value) or "does not exist" in str(a.value))


def test_the_transport_opens_a_pty_board():
    import os
    import pty

    main, sub = pty.openpty()
    try:
        t = open_transport(os.ttyname(sub))
        assert t.serial.port == os.ttyname(sub)
        t.close()
    finally:
        os.close(main)
        os.close(sub)
