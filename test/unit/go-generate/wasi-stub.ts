/**
 * The smallest WASI preview 1 host that runs a Go wasip1 reactor: stdout and
 * stderr are captured, there are no files, arguments or environment, and
 * every other call fails with ENOSYS (52) (fd_prestat_get with EBADF: no preopens).
 */
import { randomFillSync } from "node:crypto";

const ENOSYS = 52;

export interface WasiStub {
  imports: WebAssembly.Imports;
  /** Call after instantiation. */
  bind(memory: WebAssembly.Memory): void;
  output(): string;
}

export function wasiStub(module: WebAssembly.Module): WasiStub {
  let memory: WebAssembly.Memory | undefined;
  let out = "";
  const view = () => new DataView(memory!.buffer);
  const known: Record<string, (...a: never[]) => number> = {
    fd_write: (fd: number, iovs: number, iovsLen: number, nwritten: number) => {
      const dv = view();
      let total = 0;
      for (let i = 0; i < iovsLen; i++) {
        const ptr = dv.getUint32(iovs + 8 * i, true);
        const len = dv.getUint32(iovs + 8 * i + 4, true);
        if (fd === 1 || fd === 2) out += new TextDecoder().decode(new Uint8Array(memory!.buffer, ptr, len));
        total += len;
      }
      dv.setUint32(nwritten, total, true);
      return 0;
    },
    random_get: (buf: number, len: number) => {
      randomFillSync(new Uint8Array(memory!.buffer, buf, len));
      return 0;
    },
    clock_time_get: (_id: number, _precision: bigint, time: number) => {
      view().setBigUint64(time, process.hrtime.bigint(), true);
      return 0;
    },
    args_sizes_get: (argc: number, size: number) => {
      view().setUint32(argc, 0, true);
      view().setUint32(size, 0, true);
      return 0;
    },
    environ_sizes_get: (count: number, size: number) => {
      view().setUint32(count, 0, true);
      view().setUint32(size, 0, true);
      return 0;
    },
    // No preopened folders: Go's syscall package stops at the first EBADF (8); ENOSYS would panic.
    fd_prestat_get: () => 8,
    args_get: () => 0,
    environ_get: () => 0,
    proc_exit: (code: number) => {
      throw new Error(`wasi proc_exit(${code})`);
    },
    sched_yield: () => 0,
    // Every subscription fires at once (nothing here sleeps for real).
    poll_oneoff: (inPtr: number, outPtr: number, nsubs: number, nevents: number) => {
      const dv = view();
      for (let i = 0; i < nsubs; i++) {
        const sub = inPtr + 48 * i;
        const ev = outPtr + 32 * i;
        dv.setBigUint64(ev, dv.getBigUint64(sub, true), true);
        dv.setUint16(ev + 8, 0, true);
        dv.setUint8(ev + 10, dv.getUint8(sub + 8));
      }
      dv.setUint32(nevents, nsubs, true);
      return 0;
    },
  };
  const wasi: Record<string, (...a: never[]) => number> = {};
  for (const imp of WebAssembly.Module.imports(module)) {
    if (imp.module !== "wasi_snapshot_preview1" || imp.kind !== "function") continue;
    wasi[imp.name] = known[imp.name] ?? (() => ENOSYS);
  }
  return {
    imports: { wasi_snapshot_preview1: wasi },
    bind(m) {
      memory = m;
    },
    output: () => out,
  };
}
