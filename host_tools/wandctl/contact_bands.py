"""The contact the probes make, in words, from the load between them (the wand's load estimate)."""

from __future__ import annotations

# Contact bands of the load between the probes (kOhm). Below 200 Ohm the
# firmware calls the load a short (SR-06); above about 40 kOhm the stage runs
# out of voltage at the lowest levels (21.5 V compliance).
CONTACT_BANDS = (
    (0.2, "short: the probes touch each other"),
    (5.0, "good contact"),
    (20.0, "fair contact: moisten the skin or the probes"),
    (float("inf"), "poor contact: dry skin or a probe lifting; add conductive gel"),
)


def contact_band(ohms, load_state=None) -> str:
    """Words for the contact the probes make, from the load in ohms and the firmware's load state."""
    if load_state == "open":
        return "no contact: put both probes on the skin"
    if load_state == "short":
        return CONTACT_BANDS[0][1]
    if ohms is None:
        return "not measured yet (needs current flowing)"
    kohm = ohms / 1000.0
    for top, words in CONTACT_BANDS:
        if kohm < top:
            return words
    return CONTACT_BANDS[-1][1]


def contact_word(ohms, state=None) -> str:
    """The band in one word for a column of `monitor --text`: short, good, fair, poor; `none` when the
    session says no contact (the probes are off the skin), `-` when not measured."""
    if state == "no_contact":
        return "none"
    if ohms is None:
        return "-"
    return contact_band(ohms).split(":")[0].split()[0]


def format_load(ohms, load_state=None) -> str:
    """`2.0 kOhm, good contact` (the load between the probes)."""
    band = contact_band(ohms, load_state)
    if ohms is None or load_state == "open":
        return band
    return "%.1f kOhm, %s" % (ohms / 1000.0, band)
