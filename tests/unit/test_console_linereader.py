"""LineReader: framing, bounds and bad bytes (SR-11). Runs on CPython and MicroPython."""

from wand.linereader import BADBYTE, LINE, NONE, TOOLONG, LineReader


def _all(reader, *chunks):
    out = []
    for c in chunks:
        for item in reader.lines(c):
            out.append(item)
    return out


def test_sr11_lf_cr_crlf_end_lines():
    r = LineReader(128)
    got = _all(r, b"a\nb\rc\r\nd\n")
    assert got == [(LINE, "a"), (LINE, "b"), (LINE, "c"), (LINE, "d")]


def test_sr11_crlf_split_across_reads_counts_once():
    r = LineReader(128)
    got = _all(r, b"status\r", b"\nlog 3\r", b"\n")
    assert got == [(LINE, "status"), (LINE, "log 3")]


def test_sr11_partial_line_is_kept_until_its_end():
    r = LineReader(128)
    assert _all(r, b"sta") == []
    assert r.pending() == 3
    assert _all(r, b"tu") == []
    assert _all(r, b"s\n") == [(LINE, "status")]
    assert r.pending() == 0


def test_sr11_blank_lines_produce_nothing_and_spaces_are_trimmed():
    r = LineReader(128)
    assert _all(r, b"\n\r\n   \n\t\n") == []
    assert _all(r, b"  get  x \t\n") == [(LINE, "get  x")]


def test_sr11_line_of_exactly_maxlen_is_accepted():
    r = LineReader(16)
    assert _all(r, b"x" * 16 + b"\n") == [(LINE, "x" * 16)]


def test_sr11_overlong_line_reported_once_and_discarded_to_newline():
    r = LineReader(16)
    got = _all(r, b"y" * 10, b"y" * 300, b"yy\nhello\n")
    assert got == [(TOOLONG, None), (LINE, "hello")]


def test_sr11_nul_control_and_high_bytes_make_a_badbyte_line():
    r = LineReader(128)
    got = _all(r, b"sta\x00tus\n", b"\x1b[A\n", b"caf\xc3\xa9\n", b"ok\n")
    assert got == [(BADBYTE, None), (BADBYTE, None), (BADBYTE, None), (LINE, "ok")]
    r2 = LineReader(128)
    _all(r2, b"a\x7fb\n")
    assert r2.bad_byte() == 0x7F


def test_sr11_feed_stops_after_one_line():
    r = LineReader(128)
    data = b"one\ntwo\nthree\n"
    pos = r.feed(data, 0, len(data))
    assert pos == 4
    assert r.result() == LINE and r.line() == "one"
    # not taken yet: feeding more consumes nothing
    assert r.feed(data, pos, len(data)) == pos
    r.clear()
    assert r.result() == NONE
    pos = r.feed(data, pos, len(data))
    assert r.line() == "two"


def test_sr11_reset_drops_an_unfinished_line():
    r = LineReader(128)
    _all(r, b"garbage")
    r.reset()
    assert _all(r, b"status\n") == [(LINE, "status")]
