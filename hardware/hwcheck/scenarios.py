"""Scenarios: what the netlist is run under.

A scenario is the set of netlist parameters of one run: DAC voltage, load, bridge
legs, supplies, tolerance factors and fault switches (see microwand.cir). Here:
the base scenario, the tolerance/temperature corners, the single faults, the
loads, and `Ctx`, which carries the board's figures to every analysis.
"""

from __future__ import annotations

from .design import GPIO_R, derived
from .limits import ESP32_VIH_FRAC, ESP32_VIL_FRAC

SHORT = 10e-3  # a fault resistor that shorts its part
ABSENT = 1e12  # a fault resistor that is not there

FAULT_LOADS = (500.0, 2e3, 10e3, 47e3)
TRACK_LOADS = (500.0, 2e3, 10e3, 47e3)
CORNER_LOADS = (500.0, 2e3, 10e3)

# Part tolerances applied at the limiter corners (datasheet limits of the parts
# in bom.csv): LM4040B 0.2 % and 100 ppm/K, 0.1 % 25 ppm/K resistors,
# MCP6041 offset 3 mV max (+1.5 uV/K), boost +/-5 %, 3.3 V rail +/-2 %.
REF_TOL, REF_TC = 0.002, 100e-6
RES_TOL, RES_TC = 0.001, 25e-6
VOS_MAX, VOS_TC = 3e-3, 1.5e-6
BOOST_TOL, V33_TOL = 0.05, 0.02
TEMPS_C = (0.0, 45.0)


def base_scenario(board: dict) -> dict[str, float]:
    v33 = board["analog"]["dac_full_scale_mv"] / 1000.0
    return {
        "VDAC": 0.0,
        "RLOAD": 10e3,
        "LEGA": v33,
        "LEGB": 0.0,
        "OE": v33,
        "RGPIO": GPIO_R,
        "VBUS": 0.0,
        "VBAT": board["battery"]["nominal_v"],
        "K_VB": 1.0,
        "K_V33": 1.0,
        "K_REF": 1.0,
        "K_RLIM": 1.0,
        "K_RD1": 1.0,
        "K_RD2": 1.0,
        "VOS_U3": 0.0,
        "F_U1A": 0,
        "F_U1B": 0,
        "F_U3": 0,
        "F_RSENSE": ABSENT,
        "F_RSET": ABSENT,
        "F_Q1": ABSENT,
        "F_OE": ABSENT,
        "F_RLIM": ABSENT,
        "F_BODY": ABSENT,
        "SKIN_RS": ABSENT,  # skin model in parallel with RLOAD (absent by default)
        "SKIN_RP": ABSENT,
        "SKIN_CP": 1e-15,
        # deliberate mismatch between the bridge legs (threshold shifts, volts):
        # SR-04 must hold although the two polarities use different switches.
        "VT_PA": 0.0,
        "VT_PB": -0.3,
        "VT_NA": 0.0,
        "VT_NB": 0.3,
    }


def corner(kind: str, temp_c: float) -> dict[str, float]:
    """Part tolerances pushed all one way. kind 'max' raises the limiter's
    current (and the stage's), 'min' lowers it."""
    if kind == "nom":
        return {"TEMP": 25.0}
    s = 1.0 if kind == "max" else -1.0
    dt = abs(temp_c - 25.0)
    return {
        "TEMP": temp_c,
        "K_REF": 1.0 + s * (REF_TOL + REF_TC * dt),
        "K_RLIM": 1.0 - s * (RES_TOL + RES_TC * dt),
        "K_RD1": 1.0 + s * (RES_TOL + RES_TC * dt),
        "K_RD2": 1.0 - s * (RES_TOL + RES_TC * dt),
        "VOS_U3": -s * (VOS_MAX + VOS_TC * dt),
        "K_VB": 1.0 + s * BOOST_TOL,
        "K_V33": 1.0 + s * V33_TOL,
    }


CORNERS = [("nom", 25.0)] + [(k, t) for k in ("max", "min") for t in TEMPS_C]


def corner_name(kind: str, temp_c: float) -> str:
    return "nominal 25 C" if kind == "nom" else "%s %g C" % (kind, temp_c)


# Single faults: (name, scenario overrides). The DAC is at full scale in all.
FAULTS = [
    ("none (DAC at full scale)", {}),
    ("sense resistor shorted", {"F_RSENSE": SHORT}),
    ("r_set shorted", {"F_RSET": SHORT}),
    ("stage amplifier output at +rail", {"F_U1A": 1}),
    ("stage amplifier output at -rail", {"F_U1A": -1}),
    ("sense amplifier output at +rail", {"F_U1B": 1}),
    ("sense amplifier output at -rail", {"F_U1B": -1}),
    ("stage transistor drain-source short", {"F_Q1": SHORT}),
    ("enable stuck on", {"F_OE": SHORT}),
    ("limiter amplifier output at -rail (limiter bypassed)", {"F_U3": -1}),
    ("limiter amplifier output at +rail", {"F_U3": 1}),
    ("limiter sense resistor shorted", {"F_RLIM": SHORT}),
    ("electrode A to ground through the body (500 ohm)", {"F_BODY": 500.0}),
    ("ESP32 in reset (all pins high-Z)", {"RGPIO": ABSENT}),
    ("ESP32 in reset and enable stuck on", {"RGPIO": ABSENT, "F_OE": SHORT}),
]
FAULT_CORNERS = [("nom", 25.0), ("max", 0.0), ("max", 45.0)]


def skin(board: dict) -> dict[str, float]:
    """board.json's skin model (series R, then R || C) as the load."""
    sk = board["skin_default"]
    return {
        "RLOAD": ABSENT,
        "SKIN_RS": sk["series_ohms"],
        "SKIN_RP": sk["parallel_ohms"],
        "SKIN_CP": sk["parallel_nf"] * 1e-9,
    }


class Ctx:
    """The board's figures every analysis needs, and its base scenario."""

    def __init__(self, board: dict):
        self.board = board
        self.a = board["analog"]
        self.d = derived(board)
        self.v33 = self.a["dac_full_scale_mv"] / 1000.0
        self.ua_per_code = (
            self.a["dac_full_scale_mv"] / 255.0 * self.a["vi_divider_ratio"] / self.a["r_set_ohms"] * 1000.0
        )
        self.compliance = self.d["compliance_v"]
        self.mv_per_ua = self.d["sense_mv_per_ua"]
        self.base = base_scenario(board)

    def scen(self, **over) -> dict[str, float]:
        s = dict(self.base)
        s.update(over)
        return s

    def summary(self) -> dict:
        """The board's figures the checks compare against (raw["board"])."""
        return {
            "ua_per_code": self.ua_per_code,
            "compliance_v": self.compliance,
            "sense_mv_per_ua": self.mv_per_ua,
            "sense_offset_mv": self.a["sense_offset_mv"],
            "vload_gain": self.a["vload_gain"],
            "vload_offset_mv": self.a["vload_offset_mv"],
            "hw_limit_ua": self.a["hw_limit_ua"],
            "hw_limit_max_ua": self.a["hw_limit_max_ua"],
            "electrode_area_cm2": self.board["electrode"]["area_cm2"],
            "usb_threshold_v": self.a["usb_threshold_v"],
            "vih_v": ESP32_VIH_FRAC * self.v33,
            "vil_v": ESP32_VIL_FRAC * self.v33,
        }
