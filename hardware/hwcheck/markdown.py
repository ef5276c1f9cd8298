"""Cells of the results table in hardware/README.md."""


def pf(ok: bool) -> str:
    return "pass" if ok else "**FAIL**"


def ohms(r: float) -> str:
    return "%g kΩ" % (r / 1000) if r >= 1000 else "%g Ω" % r
