// The 32-bit MicroPython of `wandctl bench`: the webassembly port from npm
// (@micropython/micropython-webassembly-pyscript, installed by `make` into
// build/wasm/node_modules from bench/wasm/package.json), run by Node.js.
//
//   node run.mjs --mp PATH/micropython.mjs --heap BYTES --dir DIR --mode MODE
//
// DIR holds the compiled files (.mpy, as deployed); they are copied into the
// port's in-memory filesystem at /fw, first on sys.path.
// MODE bench: `bench_mpy.main32()` prints one JSON line (ticks, allocation);
// --quick 1: a few ticks only (the smoke test of the bench).
// MODE heap0|heap1|heap2: bench/wasm/heap32.py's setup(N), then step() once
// per control tick until it says the run completed, did not fit, or failed.
// The simulated board answers calls over two pipes: requests
// "op handle a b\n" go out on --fdout, replies "i<int>", "s<text>" or
// "x<error>" come back on --fdin (host_tools/simboard/bench_wasm.py serves them).
// Prints one JSON line: {"result": "fit"|"nofit"|"error", "why", "steps"}.

import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, "")] = process.argv[i + 1];
const heap = parseInt(args.heap, 10);
const mode = args.mode;
const maxSteps = parseInt(args.steps || "100000", 10);

const { loadMicroPython } = await import(pathToFileURL(path.resolve(args.mp)).href);
const out = [];
const mp = await loadMicroPython({
  heapsize: heap,
  stdout: (s) => out.push(s),
  stderr: (s) => out.push(s),
});

function copyTree(src, dst) {
  try { mp.FS.mkdir(dst); } catch (e) { /* exists */ }
  for (const name of fs.readdirSync(src)) {
    const p = path.join(src, name);
    if (fs.statSync(p).isDirectory()) copyTree(p, dst + "/" + name);
    else mp.FS.writeFile(dst + "/" + name, fs.readFileSync(p));
  }
}
copyTree(args.dir, "/fw");

function done(obj) {
  process.stdout.write(JSON.stringify(obj) + "\n");
  process.exit(0);
}

// time.ticks_us() of this port counts whole milliseconds: the tick timing
// takes its microseconds from here (an int below 2**30: no allocation).
mp.registerJsModule("hrtime", { us: () => Math.floor(performance.now() * 1000) % 0x40000000 });

if (mode === "bench") {
  try {
    const quick = args.quick === "1" ? "True" : "False";
    mp.runPython(`import sys\nsys.path.insert(0, '/fw')\nimport bench_mpy\nbench_mpy.main32(${quick})`);
  } catch (e) {
    done({ result: "error", why: String(e.message || e).slice(-800), output: out.slice(-20) });
  }
  const line = out.filter((s) => s.startsWith("{")).pop();
  if (!line) done({ result: "error", why: "no figures", output: out.slice(-20) });
  process.stdout.write(line + "\n");
  process.exit(0);
}

// --- heap runs: the simulated board over the pipes ---------------------------
const FD_OUT = parseInt(args.fdout, 10);
const FD_IN = parseInt(args.fdin, 10);
let pending = Buffer.alloc(0);
const chunk = Buffer.alloc(4096);

function readLine() {
  for (;;) {
    const nl = pending.indexOf(10);
    if (nl >= 0) {
      const line = pending.subarray(0, nl).toString("latin1");
      pending = pending.subarray(nl + 1);
      return line;
    }
    const n = fs.readSync(FD_IN, chunk, 0, chunk.length, null);
    if (n === 0) throw new Error("the simulated board went away");
    pending = Buffer.concat([pending, chunk.subarray(0, n)]);
  }
}

// Calls that return nothing (writes) are queued and sent with the next call
// that does (or at the end of the tick): one round trip per read, not per call.
const NO_REPLY = new Set([3, 5, 9, 10, 12, 15, 22, 23]);
let queued = "";
function call(op, h, a, b) {
  queued += `${op} ${h} ${typeof a === "string" ? "s" + a : a} ${b}\n`;
  if (NO_REPLY.has(op)) return 0;
  return flush();
}
function flush() {
  if (!queued) return 0;
  fs.writeSync(FD_OUT, queued);
  queued = "";
  const r = readLine();
  if (r[0] === "i") return parseInt(r.slice(1), 10);
  if (r[0] === "s") return r.slice(1);
  throw new Error("simboard: " + r.slice(1));
}
mp.registerJsModule("simhw", { call });

const n = { heap0: 0, heap1: 1, heap2: 2 }[mode];
let steps = 0;
try {
  mp.runPython("import sys\nsys.path.insert(0, '/fw')");
  const h32 = mp.pyimport("heap32");
  for (let i = 0; h32.prepare(n, i); i++);
  if (h32.grown()) done({ result: "nofit", steps });
  h32.setup(n);
  const step = h32.step;
  for (; steps < maxSteps; steps++) {
    if (args.trace === "1") mp.runPython("import gc\ngc.collect()");
    const r = step();
    if (args.trace === "1") process.stderr.write(h32.trace() + "\n");
    queued += "0 0 0 0\n"; // the end of the tick: a round trip, so an error of a queued write shows here
    flush();
    if (r === 1) {
      // the heap in use once the garbage is gone (a collection runs between calls)
      mp.runPython("import gc\ngc.collect()");
      done({ result: "fit", steps, live: h32.live() });
    }
    if (r === 2) done({ result: "nofit", steps });
    if (r === 3) done({ result: "error", why: mp.pyimport("heap32").why(), steps });
  }
  done({ result: "error", why: `no end after ${maxSteps} ticks`, steps });
} catch (e) {
  const msg = String(e.message || e);
  // MemoryError cannot happen on this port (the heap grows instead), but say so if it does
  done({ result: /MemoryError/.test(msg) ? "nofit" : "error", why: msg.slice(-800), steps, output: out.slice(-10) });
}
