"""Design values: board.json -> every component value of the netlist.

hardware/board.json is the one description of the board. Every component value
that the firmware also depends on is computed from it here, and nowhere else;
the rest (impedance levels no firmware number relies on) are the constants
below, and the BOM lists the same parts. `write_params` writes them to
hardware/netlist/board_params.inc, which the netlist includes.
"""

from __future__ import annotations

from pathlib import Path

from .paths import PARAMS_INC, host_tools_importable

host_tools_importable()
from wandctl.boardgen import derived, load_board  # noqa: E402

from .limits import ESP32_VIH_FRAC  # noqa: E402

__all__ = ["derived", "design_values", "load_board", "render_params", "write_params"]

R_DIV_BOT = 10e3  # DAC divider bottom leg
R_SA_IN = 1.02e6  # current-sense difference amplifier input resistors
R_OFF_BOT = 1.0e3  # offset divider bottom legs (200 mV references)
R_VL_IN = 22e6  # load-voltage sense inputs (one per electrode)
VL_NOISE_GAIN = 2.2  # load-voltage amplifier noise gain (keeps its inputs < 2.2 V)
R_VL_GT = 1e6  # Thevenin resistance of its (+) network
VL_DIODE_COMP_V = 0.0135  # load-voltage sense: mean BAT54 residue taken off the offset
R_BAT_BOT = 1e6  # battery divider bottom leg
R_USB_TOP = 47e3  # USB VBUS divider top leg
R_D2 = 88.7e3  # limiter reference divider, lower leg
R_Z = 100e3  # bias of the limiter's floating LM4040 supply
R_MD1, R_MD2 = 47e3, 21.5e3  # steering switch gate divider: 7.5 V, well under the cascodes' 9.6 V
R_MDX = 4.7e3  # steering switch gate pull-down resistor
C_MD = 100e-12  # steering switch gate capacitor
R_DL, C_DL = 220e3, 1e-9  # steering switch turn-off delay after a leg rises (~100 us)
R_HSG = 1e6  # high-side gate divider (each leg): slow, current-limited gate drive
R_LVG = 220e3  # level-shifter gate resistors: the drains swing 24 V in microseconds, not ns
R_LSG = 1e6  # low-side gate resistors: slow edges, no kick into the electrodes
C_MILLER = 47e-12  # high-side gate-drain capacitor: electrode slew rate ~0.4 V/us
C_V10 = 100e-9  # decoupling of the 9.6 V low-side gate rail
GPIO_R = 50.0  # ESP32 pin output resistance


def design_values(board: dict) -> dict[str, float]:
    """Every component value of the netlist that derives from board.json."""
    a = board["analog"]
    v33 = a["dac_full_scale_mv"] / 1000.0
    ratio = a["vi_divider_ratio"]
    gain = a["sense_gain"]
    g_vl = a["vload_gain"]
    v_off_i = a["sense_offset_mv"] / 1000.0
    v_off_v = a["vload_offset_mv"] / 1000.0
    r_lim = a["limiter_r_ohms"]
    v_ref = a["limiter_ref_v"]
    v_lim = a["hw_limit_ua"] * 1e-6 * r_lim
    # load-voltage amplifier: Vout = NG*V(+) - g*(V(ea)+V(eb)), V(+) from vh,
    # voff_v and ground so that NG*V(+) = 2*g*V(vh) + V_OFF_V.
    r_vl_fb = g_vl * R_VL_IN
    ng = VL_NOISE_GAIN
    r_vl_gm = r_vl_fb / (ng - 1.0 - 2.0 * g_vl)
    ga = 2.0 * g_vl / ng / R_VL_GT
    # the high electrode sits one BAT54 drop below the (+) taps' diode cathodes
    # plus the drop's rise with current (see microwand.cir): VL_DIODE_COMP_V of
    # that residue, the middle of its 3..550 uA range, comes off the offset
    gb = (v_off_v - VL_DIODE_COMP_V) / v_off_v / ng / R_VL_GT
    gc = 1.0 / R_VL_GT - ga - gb
    k_usb = ESP32_VIH_FRAC * v33 / a["usb_threshold_v"]
    return {
        "V33": v33,
        "DAC_FS": v33,
        "BOOST_V": a["boost_v"],
        "R_BOOST_OUT": a["boost_rout_ohms"],
        "R_DIV_BOT": R_DIV_BOT,
        "R_DIV_TOP": R_DIV_BOT * (1.0 - ratio) / ratio,
        "R_SET": a["r_set_ohms"],
        "R_SENSE": a["sense_r_ohms"],
        "R_SA_IN": R_SA_IN,
        "R_SA_FB": R_SA_IN * gain,
        "R_OFF_BOT": R_OFF_BOT,
        "R_OFF_TOP_I": R_OFF_BOT * (v33 - v_off_i) / v_off_i,
        "R_OFF_TOP_V": R_OFF_BOT * (v33 - v_off_v) / v_off_v,
        "R_LIM": r_lim,
        "LIM_REF_V": v_ref,
        "R_D2": R_D2,
        "R_D1": R_D2 * v_lim / (v_ref - v_lim),
        "R_Z": R_Z,
        "R_MD1": R_MD1,
        "R_MD2": R_MD2,
        "R_MDX": R_MDX,
        "C_MD": C_MD,
        "R_DL": R_DL,
        "C_DL": C_DL,
        "R_HSG": R_HSG,
        "R_LSG": R_LSG,
        "R_LVG": R_LVG,
        "C_MILLER": C_MILLER,
        "C_V10": C_V10,
        "R_VL_IN": R_VL_IN,
        "R_VL_FB": r_vl_fb,
        "R_VL_GM": r_vl_gm,
        "R_VL_A": 1.0 / ga,
        "R_VL_B": 1.0 / gb,
        "R_VL_C": 1.0 / gc,
        "R_BAT_BOT": R_BAT_BOT,
        "R_BAT_TOP": R_BAT_BOT * (1.0 - a["vbat_divider"]) / a["vbat_divider"],
        "R_USB_TOP": R_USB_TOP,
        "R_USB_BOT": R_USB_TOP * k_usb / (1.0 - k_usb),
    }


def render_params(board: dict) -> str:
    vals = design_values(board)
    lines = [
        "* GENERATED from hardware/board.json by hardware/check.py: do not edit.",
        "* Component values of the microwand analog path (ohms, volts).",
    ]
    lines += [".param %s=%.9g" % (k, v) for k, v in vals.items()]
    return "\n".join(lines) + "\n"


def write_params(board: dict, path: Path = PARAMS_INC) -> None:
    text = render_params(board)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
