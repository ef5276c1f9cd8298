#!/usr/bin/env python3
"""Draw the microwand analog path (hardware/netlist/microwand.cir) with schemdraw.

    .venv/bin/python hardware/schematic.py [OUT.png]

Writes hardware/schematic.png by default. Reference designators are the
netlist's element names; values that derive from hardware/board.json are
computed by the hardware check (hardware/hwcheck/design.py, design_values), so the drawing shows the same
numbers the simulation uses. Nets joined by name (VB, VH, K, T, F, ...) are
connected, as in the netlist.
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import schemdraw  # noqa: E402
import schemdraw.elements as elm  # noqa: E402

HW = Path(__file__).resolve().parent
OUT = HW / "schematic.png"


def _check():
    if str(HW) not in sys.path:
        sys.path.insert(0, str(HW))
    import hwcheck

    return hwcheck


def _r(ohms: float) -> str:
    for div, unit in ((1e6, "M"), (1e3, "k")):
        if ohms >= div:
            return ("%.3g" % (ohms / div)) + unit
    return "%.3g" % ohms


class Sheet:
    def __init__(self):
        schemdraw.use("matplotlib")
        self.d = schemdraw.Drawing(show=False, unit=2.5, fontsize=10, lw=1.1)

    def add(self, e):
        return self.d.add(e)

    def wire(self, a, b, shape="-|"):
        return self.add(elm.Wire(shape).at(a).to(b))

    def net(self, at, name, loc="right"):
        self.add(elm.Dot().at(at))
        return self.add(elm.Label().at(at).label(name, loc=loc, color="#1f4e9c", fontsize=9))

    def gnd(self, at):
        return self.add(elm.Ground().at(at))

    def title(self, at, text):
        return self.add(elm.Label().at(at).label(text, loc="right", fontsize=12, color="#7a1f1f"))


def draw(out: Path = OUT) -> Path:
    chk = _check()
    board = chk.load_board(chk.BOARD_JSON)
    v = chk.design_values(board)
    a = board["analog"]
    s = Sheet()
    add, wire, net, gnd = s.add, s.wire, s.net, s.gnd

    # ---------------- power path: boost, limiter, enable, bridge, load, sink ----
    s.title((-6, 3.2), "Output path (every path to the electrodes passes the limiter)")
    boost = add(elm.SourceV().up().at((-6, -3)).label("U6 boost\n%g V" % a["boost_v"], loc="bottom"))
    gnd(boost.start)
    wire(boost.end, (0, 0))
    net((0, 0), "VB", loc="left")
    rlim = add(elm.Resistor().down().at((0, 0)).label("RLIM\n%s 0.1%%" % _r(v["R_LIM"])))
    net(rlim.end, "LS", loc="left")
    mlim = add(elm.PFet().theta(0).anchor("source").at(rlim.end).label("XMLIM\nBSS84", loc="left"))
    add(elm.Line().down(0.5).at(mlim.drain))
    moe_src = (0, mlim.drain[1] - 0.5)
    net(moe_src, "VL", loc="left")
    moe = add(elm.PFet().theta(0).anchor("source").at(moe_src).label("XMOE\nBSS84\n(enable)", loc="left"))
    vh = (0, moe.drain[1] - 0.6)
    add(elm.Line().at(moe.drain).to(vh))
    net(vh, "VH", loc="left")
    left, right = -5.5, 5.5
    add(elm.Line().at((left, vh[1])).to((right, vh[1])))
    # series diodes opposed to the body diodes (reversal fix, hardware/README.md)
    da = add(elm.Diode().down(1.2).at((left, vh[1])).label("DA BAT54", loc="right", fontsize=8))
    db = add(elm.Diode().down(1.2).at((right, vh[1])).label("DB BAT54", loc="left", fontsize=8))
    net(da.end, "SA", loc="right")
    net(db.end, "SB", loc="left")
    pa = add(
        elm.PFet()
        .theta(0)
        .anchor("source")
        .at(da.end)
        .label("XPA\nBSS84\nCMA %gp G-D" % (v["C_MILLER"] * 1e12), loc="left")
    )
    pb = add(
        elm.PFet()
        .theta(0)
        .anchor("source")
        .at(db.end)
        .label("XPB\nBSS84\nCMB %gp G-D" % (v["C_MILLER"] * 1e12), loc="left")
    )
    ey = pa.drain[1] - 1.2
    add(elm.Line().at(pa.drain).to((left, ey)))
    add(elm.Line().at(pb.drain).to((right, ey)))
    net((left, ey), "EA  electrode E1", loc="left")
    net((right, ey), "EB  electrode E2", loc="right")
    add(elm.Line().at((left, ey)).to((-1.5, ey)))
    add(elm.Resistor().at((-1.5, ey)).to((1.5, ey)).label("skin / test load\n500 Ω..47 kΩ", loc="bottom"))
    add(elm.Line().at((1.5, ey)).to((right, ey)))
    dna = add(elm.Diode().down(1.2).at((left, ey)).label("DNA BAT54", loc="right", fontsize=8))
    add(elm.Diode().down(1.2).at((right, ey)).label("DNB BAT54", loc="left", fontsize=8))
    ny = dna.end[1]
    na = add(
        elm.NFet().theta(0).anchor("drain").at((left, ny)).label("XNA\nBSS138\nRGNA %s" % _r(v["R_LSG"]), loc="left")
    )
    nb = add(
        elm.NFet().theta(0).anchor("drain").at((right, ny)).label("XNB\nBSS138\nRGNB %s" % _r(v["R_LSG"]), loc="left")
    )
    ky = na.source[1] - 0.8
    wire(na.source, (0, ky), "|-")
    wire(nb.source, (0, ky), "|-")
    net((0, ky), "K", loc="left")
    q1 = add(elm.NFet().theta(0).anchor("drain").at((0, ky)).label("Q1\nBSS138", loc="left"))
    net(q1.source, "T", loc="left")
    # current steering: VH to K while both legs are low (the sink never opens)
    mx = 9.5
    net((mx, vh[1]), "VH", loc="top")
    dmd = add(elm.Diode().down(1.2).at((mx, vh[1])).label("DMD BAS16", loc="right", fontsize=8))
    xmd = add(elm.NFet().theta(0).anchor("drain").at(dmd.end).label("XMD\nBSS138", loc="left", fontsize=8))
    net(xmd.source, "K", loc="right")
    add(
        elm.Label()
        .at((mx - 1.0, xmd.source[1] - 0.9))
        .label(
            "XMD gate: RMD1 %s / RMD2 %s from VB (%.1f V) with CMD %gp,\n"
            "pulled down via RMDA %s by XDA/XDB ~100 µs after a leg rises\n"
            "(RDLA/RDLB %s, CDLA/CDLB %gn from GPIO32/33, DDLA/DDLB reset)."
            % (
                _r(v["R_MD1"]),
                _r(v["R_MD2"]),
                a["boost_v"] * v["R_MD2"] / (v["R_MD1"] + v["R_MD2"]),
                v["C_MD"] * 1e12,
                _r(v["R_MDX"]),
                _r(v["R_DL"]),
                v["C_DL"] * 1e9,
            ),
            loc="right",
            fontsize=8,
        )
    )
    rs = add(elm.Resistor().down().at(q1.source).label("RSENSE\n%s 0.1%%" % _r(v["R_SENSE"])))
    net(rs.end, "F", loc="left")
    rset = add(elm.Resistor().down().at(rs.end).label("RSET (r_set)\n%s 0.1%%" % _r(v["R_SET"])))
    gnd(rset.end)

    # V-to-I amplifier U1A: drives Q1 so that V(F) = V(setpoint)
    u1a = add(
        elm.Opamp(leads=True)
        .left()
        .anchor("out")
        .at((q1.gate[0] + 4.0, q1.gate[1]))
        .label("U1A\nMCP6002", loc="center", ofst=(0, 0))
    )
    add(elm.Resistor().at(u1a.out).to(q1.gate).label("RG1 1k", loc="top", fontsize=8))
    # (-) input: feedback from F (top of RSET); (+) input: the DAC setpoint
    wire(rs.end, (u1a.in1[0] + 0.6, rs.end[1]), "-")
    wire((u1a.in1[0] + 0.6, rs.end[1]), u1a.in1, "|-")
    add(elm.Label().at(u1a.in1).label("−", loc="top", fontsize=9))
    plus = u1a.in2
    vset = (plus[0] + 1.6, plus[1])
    add(elm.Line().at(plus).to(vset))
    net(vset, "VSET", loc="top")
    rdt = add(elm.Resistor().right().at(vset).label("RDT %s" % _r(v["R_DIV_TOP"]), loc="top"))
    net(rdt.end, "DAC GPIO25", loc="right")
    rdb = add(elm.Resistor().down().at(vset).label("RDB %s" % _r(v["R_DIV_BOT"]), loc="right"))
    gnd(rdb.end)

    # ---------------- limiter: U3 on a floating 5 V supply from the LM4040 ----
    lx = 16.0
    s.title((lx - 1, 3.2), "Independent current limiter (hw_limit %g µA)" % a["hw_limit_ua"])
    net((lx, 0), "VB", loc="top")
    zen = add(elm.Zener().down().reverse().at((lx, 0)).label("U4 LM4040\n%g V" % v["LIM_REF_V"], loc="right"))
    net(zen.end, "VFN", loc="left")
    rz = add(elm.Resistor().down().at(zen.end).label("RZ %s" % _r(v["R_Z"]), loc="right"))
    gnd(rz.end)
    add(elm.Line().right(4).at((lx, 0)))
    rd1 = add(elm.Resistor().down().at((lx + 4, 0)).label("RD1\n%s" % _r(v["R_D1"]), loc="right"))
    net(rd1.end, "REFN (VB-%.2f V)" % (a["hw_limit_ua"] * 1e-6 * v["R_LIM"]), loc="right")
    rd2 = add(elm.Resistor().down().at(rd1.end).label("RD2\n%s" % _r(v["R_D2"]), loc="right"))
    add(elm.Line().at(rd2.end).to((lx, rd2.end[1])))
    u3 = add(elm.Opamp(leads=True).theta(0).anchor("in2").at((lx + 2.0, -7.0)).label("U3\nMCP6041", loc="center"))
    add(elm.Line().at(u3.in2).to((u3.in2[0] - 0.5, u3.in2[1])))
    add(elm.Label().at((u3.in2[0] - 0.5, u3.in2[1])).label("REFN", loc="left", fontsize=9, color="#1f4e9c"))
    add(elm.Line().at(u3.in1).to((u3.in1[0] - 0.5, u3.in1[1])))
    add(elm.Label().at((u3.in1[0] - 0.5, u3.in1[1])).label("LS", loc="left", fontsize=9, color="#1f4e9c"))
    rg = add(elm.Resistor().right().at(u3.out).label("RGLIM 10k", loc="top", fontsize=8))
    net(rg.end, "gate XMLIM (RPLIM 1M to VB)", loc="right")
    add(elm.Label().at((lx - 1, -9.5)).label("U3 supply: VB / VFN (5 V across U4)", loc="right", fontsize=8))

    # ---------------- enable disconnect and bridge drive -----------------------
    ox = 16.0
    oy = -12.0
    s.title((ox - 1, oy + 1.6), "Enable disconnect and H-bridge drive (pull-downs: off in reset)")
    for i, (gpio, q, rpd, rg_, top, bot, target) in enumerate(
        (
            ("GPIO27 (enable)", "XQOE", "RPDOE", "RGOE", "ROE1", "ROE2", "gate XMOE"),
            ("GPIO32 (leg A)", "XLA", "RPDA", "RGA", "RPA1", "RPA2", "LXA: gate XPA and XINB"),
            ("GPIO33 (leg B)", "XLB", "RPDB", "RGB", "RPB1", "RPB2", "LXB: gate XPB and XINA"),
        )
    ):
        x = ox + i * 5.5
        net((x, oy), "VB", loc="top")
        rv = "100k" if i == 0 else _r(v["R_HSG"])
        r1 = add(elm.Resistor().down().at((x, oy)).label("%s\n%s" % (top, rv), loc="right", fontsize=8))
        net(r1.end, target, loc="right")
        r2 = add(elm.Resistor().down().at(r1.end).label("%s\n%s" % (bot, rv), loc="right", fontsize=8))
        q = add(elm.NFet().theta(0).anchor("drain").at(r2.end).label("%s\nBSS138" % q, loc="left", fontsize=8))
        gnd(q.source)
        rgv = "1k" if i == 0 else _r(v["R_LVG"])
        rgg = add(elm.Resistor().right(1.8).at(q.gate).label("%s %s" % (rg_, rgv), loc="top", fontsize=8))
        net(rgg.end, gpio, loc="bottom")
        pd = add(elm.Resistor().down(1.8).at(rgg.end).label("%s\n100k" % rpd, loc="right", fontsize=8))
        gnd(pd.end)
    net(
        (ox, oy - 10.5),
        "V10 = VB x 0.4 (R10A 150k / R10B 100k, C10 %gn): gate rail of XNA/XNB" % (v["C_V10"] * 1e9),
        loc="right",
    )
    add(
        elm.Label()
        .at((ox, oy - 9.0))
        .label(
            "XINA (BSS84, source V10, gate LXB) drives XNA: on while leg B is high; XINB/LXA drive XNB."
            " RNA/RNB 1M pull-downs.\n"
            "Both legs low: all four bridge switches off, electrodes floating, XMD carries the sink current.",
            loc="right",
            fontsize=8,
        )
    )

    # ---------------- current sense amplifier U1B -------------------------------
    sx, sy = -6.0, -27.0
    s.title(
        (sx - 1, sy + 2.2),
        "Current sense (GPIO36): %g mV + %g mV/µA" % (a["sense_offset_mv"], chk.derived(board)["sense_mv_per_ua"]),
    )
    u1b = add(elm.Opamp(leads=True).theta(0).at((sx + 3.5, sy)).label("U1B\nMCP6002", loc="center"))
    ra = add(elm.Resistor().left().at(u1b.in1).label("RSA1 %s" % _r(v["R_SA_IN"]), loc="top", fontsize=8))
    net(ra.end, "F", loc="left")
    rb = add(elm.Resistor().left().at(u1b.in2).label("RSA3 %s" % _r(v["R_SA_IN"]), loc="bottom", fontsize=8))
    net(rb.end, "T", loc="left")
    fb_y = u1b.in1[1] + 1.6
    wire((u1b.in1[0] - 0.2, u1b.in1[1]), (u1b.in1[0] - 0.2, fb_y), "-|")
    add(
        elm.Resistor()
        .at((u1b.in1[0] - 0.2, fb_y))
        .to((u1b.out[0] + 0.4, fb_y))
        .label("RSA2 %s" % _r(v["R_SA_FB"]), loc="top", fontsize=8)
    )
    wire((u1b.out[0] + 0.4, fb_y), u1b.out, "|-")
    r4 = add(
        elm.Resistor()
        .down()
        .at((u1b.in2[0] - 0.2, u1b.in2[1]))
        .label("RSA4 %s" % _r(v["R_SA_FB"]), loc="left", fontsize=8)
    )
    net(
        r4.end,
        "VOFF 200 mV (ROFI1 %s / ROFI2 %s from 3.3 V)" % (_r(v["R_OFF_TOP_I"]), _r(v["R_OFF_BOT"])),
        loc="right",
    )
    radi = add(elm.Resistor().right().at(u1b.out).label("RADI 1k", loc="top", fontsize=8))
    net(radi.end, "GPIO36", loc="right")
    add(elm.Capacitor().down().at(radi.end).label("CADI 10n", loc="right", fontsize=8))

    # ---------------- load-voltage sense U2 -------------------------------------
    lvx, lvy = 12.0, -27.0
    s.title(
        (lvx - 2, lvy + 2.2),
        "Load voltage (GPIO39): %g mV + %g x |V(EA)-V(EB)|" % (a["vload_offset_mv"], a["vload_gain"]),
    )
    u2 = add(elm.Opamp(leads=True).theta(0).at((lvx + 4, lvy)).label("U2\nMCP6001", loc="center"))
    rva = add(elm.Resistor().left().at(u2.in1).label("RVA %s" % _r(v["R_VL_IN"]), loc="top", fontsize=8))
    net(rva.end, "EA", loc="left")
    add(
        elm.Resistor()
        .up()
        .at((u2.in1[0] - 1.2, u2.in1[1]))
        .label("RVB %s\nfrom EB" % _r(v["R_VL_IN"]), loc="left", fontsize=8)
    )
    rvh = add(
        elm.Resistor()
        .left()
        .at(u2.in2)
        .label("RVHA / RVHB %s\nfrom SA / SB" % _r(2 * v["R_VL_A"]), loc="bottom", fontsize=8)
    )
    net(rvh.end, "SA, SB", loc="left")
    fb2 = u2.in1[1] + 1.6
    wire((u2.in1[0] - 0.2, u2.in1[1]), (u2.in1[0] - 0.2, fb2), "-|")
    add(
        elm.Resistor()
        .at((u2.in1[0] - 0.2, fb2))
        .to((u2.out[0] + 0.4, fb2))
        .label("RVF %s" % _r(v["R_VL_FB"]), loc="top", fontsize=8)
    )
    wire((u2.out[0] + 0.4, fb2), u2.out, "|-")
    radv = add(elm.Resistor().right().at(u2.out).label("RADV 1k", loc="top", fontsize=8))
    net(radv.end, "GPIO39", loc="right")
    add(
        elm.Label()
        .at((lvx - 2, lvy - 3.5))
        .label(
            "(-) node: RVG %s to GND.  (+) node: RVO %s to VOFF, RVC %s to GND.\n"
            "V(SA) + V(SB) - V(EA) - V(EB) = |V_load| (+ a BAT54 residue, offset trimmed):\n"
            "no rectifier, same for both polarities." % (_r(v["R_VL_GM"]), _r(v["R_VL_B"]), _r(v["R_VL_C"])),
            loc="right",
            fontsize=8,
        )
    )

    # ---------------- supervision ------------------------------------------------
    px, py = -6.0, -37.0
    s.title((px - 1, py + 1.6), "Supervision")
    rbt = add(elm.Resistor().down().at((px, py)).label("RBT %s" % _r(v["R_BAT_TOP"]), loc="right", fontsize=8))
    net((px, py), "VBAT (cell)", loc="top")
    net(rbt.end, "GPIO34", loc="right")
    rbb = add(elm.Resistor().down().at(rbt.end).label("RBB %s" % _r(v["R_BAT_BOT"]), loc="right", fontsize=8))
    gnd(rbb.end)
    rut = add(elm.Resistor().down().at((px + 6, py)).label("RUT %s" % _r(v["R_USB_TOP"]), loc="right", fontsize=8))
    net((px + 6, py), "VBUS (USB 5 V)", loc="top")
    net(rut.end, "GPIO35 (high with USB)", loc="right")
    rub = add(elm.Resistor().down().at(rut.end).label("RUB %s" % _r(v["R_USB_BOT"]), loc="right", fontsize=8))
    gnd(rub.end)
    for i, (name, gpio) in enumerate((("SW1 power", 13), ("SW2 level", 14))):
        x = px + 14 + i * 4
        net((x, py), "GPIO%d (pull-up)" % gpio, loc="top")
        b = add(elm.Button().down().at((x, py)).label(name, loc="right", fontsize=8))
        gnd(b.end)
    for i, (name, gpio) in enumerate((("LED1 green", 18), ("LED2 red", 19))):
        x = px + 22 + i * 4
        net((x, py), "GPIO%d" % gpio, loc="top")
        r = add(elm.Resistor().down().at((x, py)).label("330", loc="right", fontsize=8))
        led = add(elm.LED().down().at(r.end).label(name, loc="right", fontsize=8))
        gnd(led.end)
    x = px + 30
    net((x, py), "GPIO23", loc="top")
    r = add(elm.Resistor().down().at((x, py)).label("RBZ 100", loc="right", fontsize=8))
    bz = add(elm.Speaker().anchor("in1").at(r.end).label("BZ1 piezo", loc="right", fontsize=8))
    gnd(bz.in2)

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    s.d.save(str(out), dpi=110)
    return out


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    path = draw(Path(argv[0]) if argv else OUT)
    print("schematic written to %s" % path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
