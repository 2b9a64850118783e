import { describe, expect, it } from "vitest";
import { ERRNO, WasiExit, WasiShim } from "../../../runtime/wasi/wasi-shim.js";

const W = "wasi_snapshot_preview1";

function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}

const name = (s: string) => {
  const b = [...new TextEncoder().encode(s)];
  return [...leb(b.length), ...b];
};
const section = (id: number, body: number[]) => [id, ...leb(body.length), ...body];

/** A module that only imports functions of type () -> (). */
function moduleImporting(imports: Array<[string, string]>): WebAssembly.Module {
  const types = section(1, [1, 0x60, 0, 0]);
  const body = [...leb(imports.length), ...imports.flatMap(([m, f]) => [...name(m), ...name(f), 0, 0])];
  return new WebAssembly.Module(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, ...types, ...section(2, body)]));
}

type Fns = Record<string, (...a: unknown[]) => number>;

function setup(opts = {}) {
  const names = [
    "fd_write",
    "random_get",
    "clock_time_get",
    "poll_oneoff",
    "proc_exit",
    "args_sizes_get",
    "environ_sizes_get",
    "fd_prestat_get",
    "fd_fdstat_get",
    "path_symlink",
    "sched_yield",
  ];
  const shim = new WasiShim(opts);
  const imports = shim.imports(moduleImporting([...names.map((n): [string, string] => [W, n]), ["env", "foo"]]));
  const memory = new WebAssembly.Memory({ initial: 4 });
  shim.bind(memory);
  return {
    shim,
    fns: imports[W] as unknown as Fns,
    env: imports.env as unknown as Fns,
    memory,
    dv: new DataView(memory.buffer),
  };
}

describe("WasiShim", () => {
  it("builds imports from the module's own list, with ENOSYS for unknown WASI names", () => {
    const { fns, env } = setup();
    expect(Object.keys(fns).sort()).toContain("path_symlink");
    expect(fns.path_symlink!()).toBe(ERRNO.NOSYS);
    expect(fns.sched_yield!()).toBe(0);
    expect(() => env.foo!()).toThrow(/unresolved import env.foo/);
    const m = moduleImporting([
      [W, "fd_write"],
      [W, "path_symlink"],
      ["env", "foo"],
    ]);
    expect(() => new WebAssembly.Instance(m, new WasiShim().imports(m))).not.toThrow();
  });

  it("collects stdout and stderr, decoding UTF-8 split across writes", () => {
    const seen: string[] = [];
    const { shim, fns, dv, memory } = setup({ onStdout: (t: string) => seen.push(t) });
    const bytes = new Uint8Array(memory.buffer);
    bytes.set([0x68, 0xc3], 100); // "h" and the first byte of "é"
    bytes.set([0xa9, 0x0a], 200);
    dv.setUint32(0, 100, true);
    dv.setUint32(4, 2, true);
    dv.setUint32(8, 200, true);
    dv.setUint32(12, 2, true);
    expect(fns.fd_write!(1, 0, 2, 50)).toBe(0);
    expect(dv.getUint32(50, true)).toBe(4);
    expect(fns.fd_write!(2, 8, 1, 50)).toBe(0); // a stray continuation byte
    expect(fns.fd_write!(3, 0, 1, 50)).toBe(ERRNO.BADF);
    expect(shim.output.take()).toEqual({
      chunks: [
        { stream: "stdout", text: "hé\n" },
        { stream: "stderr", text: "\ufffd\n" },
      ],
      dropped: 0,
    });
    expect(shim.output.take()).toBeNull();
    expect(shim.stderrTail).toBe("\ufffd\n");
    expect(seen).toEqual(["h", "é\n"]);
  });

  it("keeps 64 KiB of a call's output and counts the rest as dropped", () => {
    const { shim, fns, dv, memory } = setup();
    const text = "0123456789abcdef".repeat(1024); // 16 KiB
    new Uint8Array(memory.buffer).set(new TextEncoder().encode(text), 100);
    dv.setUint32(0, 100, true);
    dv.setUint32(4, text.length, true);
    for (let i = 0; i < 5; i++) fns.fd_write!(i % 2 ? 2 : 1, 0, 1, 50);
    const out = shim.output.take()!;
    expect(out.chunks.map((c) => [c.stream, c.text.length])).toEqual([
      ["stdout", 16384],
      ["stderr", 16384],
      ["stdout", 16384],
      ["stderr", 16384],
    ]);
    expect(out.dropped).toBe(16384);
    // The next call starts with a full allowance.
    fns.fd_write!(1, 0, 1, 50);
    expect(shim.output.take()).toEqual({ chunks: [{ stream: "stdout", text }], dropped: 0 });
  });

  it("fills large random buffers in chunks", () => {
    const { fns, memory } = setup();
    expect(fns.random_get!(1000, 200_000)).toBe(0);
    const b = new Uint8Array(memory.buffer, 1000, 200_000);
    expect(b.filter((x) => x !== 0).length).toBeGreaterThan(190_000);
  });

  it("reads realtime and monotonic clocks in nanoseconds", () => {
    const { fns, dv } = setup();
    // Realtime is the wall clock: between two readings of Date.now() around the call (the shim
    // reads performance.timeOrigin + now(), which may drift from Date.now() by a little).
    const before = Date.now();
    expect(fns.clock_time_get!(0, 1n, 8)).toBe(0);
    const after = Date.now();
    const realMs = Number(dv.getBigUint64(8, true) / 1_000_000n);
    expect(realMs).toBeGreaterThanOrEqual(before - 1000);
    expect(realMs).toBeLessThanOrEqual(after + 1000);
    fns.clock_time_get!(1, 1n, 8);
    const t0 = dv.getBigUint64(8, true);
    fns.clock_time_get!(1, 1n, 8);
    expect(dv.getBigUint64(8, true)).toBeGreaterThanOrEqual(t0);
    expect(fns.clock_time_get!(9, 1n, 8)).toBe(ERRNO.INVAL);
  });

  it("answers poll_oneoff at once, clock subscriptions with success", () => {
    const { fns, dv } = setup();
    dv.setBigUint64(0, 42n, true); // subscription 0: clock, 1 ms relative
    dv.setUint8(8, 0);
    dv.setBigUint64(24, 1_000_000n, true);
    dv.setBigUint64(48, 7n, true); // subscription 1: fd_read on fd 0
    dv.setUint8(56, 1);
    expect(fns.poll_oneoff!(0, 200, 2, 400)).toBe(0);
    expect(dv.getUint32(400, true)).toBe(2);
    expect([dv.getBigUint64(200, true), dv.getUint16(208, true), dv.getUint8(210)]).toEqual([42n, 0, 0]);
    expect([dv.getBigUint64(232, true), dv.getUint16(240, true), dv.getUint8(242)]).toEqual([7n, ERRNO.BADF, 1]);
  });

  it("gives no arguments, environment or preopens; std fds are character devices", () => {
    const { fns, dv } = setup();
    dv.setUint32(0, 99, true);
    expect(fns.args_sizes_get!(0, 4)).toBe(0);
    expect(fns.environ_sizes_get!(8, 12)).toBe(0);
    expect([dv.getUint32(0, true), dv.getUint32(4, true), dv.getUint32(8, true)]).toEqual([0, 0, 0]);
    expect(fns.fd_prestat_get!(3, 0)).toBe(ERRNO.BADF);
    expect(fns.fd_fdstat_get!(1, 16)).toBe(0);
    expect(dv.getUint8(16)).toBe(2);
    expect(fns.fd_fdstat_get!(5, 16)).toBe(ERRNO.BADF);
  });

  it("throws WasiExit from proc_exit, and asks for bind() before memory access", () => {
    const { fns } = setup();
    expect(() => fns.proc_exit!(3)).toThrow(WasiExit);
    const m = moduleImporting([[W, "args_sizes_get"]]);
    const unbound = new WasiShim().imports(m)[W] as unknown as Fns;
    expect(() => unbound.args_sizes_get!(0, 4)).toThrow(/bind/);
  });
});
