/**
 * A minimal wasi_snapshot_preview1 for reactor modules (Go wasip1 and
 * others): no files, no arguments, no environment. What the module writes to
 * fd 1 and 2 goes into `output`, an OutputCapture the host takes after every
 * call (docs/abi.md, "Output"); one instance runs one call at a time, so the
 * output of a call is exactly what it wrote. No node: imports, so it runs in
 * browsers too.
 *
 * The import object is built from the module's own import list, because a
 * WebAssembly import must be a concrete function: names the shim does not
 * know get a stub that returns ENOSYS.
 */

import { OutputCapture } from "../abi/call-output.js";

export const ERRNO = { SUCCESS: 0, BADF: 8, INVAL: 28, NOSYS: 52, SPIPE: 70 } as const;

/** Thrown by proc_exit: the module ended itself and its instance can no longer be used. */
export class WasiExit extends Error {
  constructor(readonly code: number) {
    super(`module called proc_exit(${code})`);
    this.name = "WasiExit";
  }
}

export interface WasiOptions {
  /** Called with each decoded piece of stdout as the module writes it (besides the capture). */
  onStdout?: (text: string) => void;
  onStderr?: (text: string) => void;
}

/** Characters of stderr kept across calls, for the message of a module that dies (Go prints its fatal error there). */
const STDERR_TAIL = 2000;

type Fn = (...args: never[]) => number | undefined;

const WASI = "wasi_snapshot_preview1";
const CLOCK_REALTIME = 0;
const FILETYPE_CHARACTER_DEVICE = 2;
const EVENTTYPE_CLOCK = 0;
const SUBSCRIPTION_SIZE = 48;
const EVENT_SIZE = 32;
const RANDOM_CHUNK = 65536;

/** Time origin of performance.now() in ns since the epoch, for the realtime clock. */
function realtimeNs(): bigint {
  const ms = performance.timeOrigin + performance.now();
  return BigInt(Math.floor(ms)) * 1_000_000n + BigInt(Math.floor((ms % 1) * 1e6));
}

function monotonicNs(): bigint {
  return BigInt(Math.floor(performance.now() * 1e6));
}

export class WasiShim {
  /** The current call's stdout and stderr; the host takes it after each call. */
  readonly output = new OutputCapture();
  /** The last characters written to stderr, whatever was taken. */
  stderrTail = "";
  private memory: WebAssembly.Memory | undefined;
  private readonly decoders = [new TextDecoder(), new TextDecoder()];

  constructor(private readonly opts: WasiOptions = {}) {}

  /** Binds the instance's memory; call right after instantiation, before `_initialize`. */
  bind(memory: WebAssembly.Memory): void {
    this.memory = memory;
  }

  /** The import object for `module`: every wasi_snapshot_preview1 import it declares. */
  imports(module: WebAssembly.Module): WebAssembly.Imports {
    const impl = this.functions();
    const wasi: Record<string, Fn> = {};
    const other: Record<string, Record<string, Fn>> = {};
    for (const imp of WebAssembly.Module.imports(module)) {
      if (imp.kind !== "function") continue;
      if (imp.module === WASI) {
        wasi[imp.name] = impl[imp.name] ?? (() => ERRNO.NOSYS);
      } else {
        const where = `${imp.module}.${imp.name}`;
        other[imp.module] ??= {};
        other[imp.module]![imp.name] = () => {
          throw new Error(`unresolved import ${where}`);
        };
      }
    }
    return { ...other, [WASI]: wasi };
  }

  private view(): DataView {
    if (!this.memory) throw new Error("WasiShim: memory not bound; call bind(memory) after instantiation");
    return new DataView(this.memory.buffer);
  }

  private bytes(ptr: number, len: number): Uint8Array {
    return new Uint8Array(this.memory!.buffer, ptr, len);
  }

  private write(fd: 1 | 2, chunk: Uint8Array): void {
    this.output.bytes(fd === 1 ? "stdout" : "stderr", chunk);
    const { onStdout, onStderr } = this.opts;
    if (fd === 1 && !onStdout) return;
    const text = this.decoders[fd - 1]!.decode(chunk, { stream: true });
    if (!text) return;
    if (fd === 1) onStdout!(text);
    else {
      onStderr?.(text);
      this.stderrTail = (this.stderrTail + text).slice(-STDERR_TAIL);
    }
  }

  private functions(): Record<string, Fn> {
    const zeroPair = (a: number, b: number) => {
      const dv = this.view();
      dv.setUint32(a, 0, true);
      dv.setUint32(b, 0, true);
      return ERRNO.SUCCESS;
    };
    const isStd = (fd: number) => fd >= 0 && fd <= 2;
    return {
      args_sizes_get: zeroPair,
      environ_sizes_get: zeroPair,
      args_get: () => ERRNO.SUCCESS,
      environ_get: () => ERRNO.SUCCESS,
      proc_exit: (code: number) => {
        throw new WasiExit(code);
      },
      sched_yield: () => ERRNO.SUCCESS,
      random_get: (ptr: number, len: number) => {
        for (let off = 0; off < len; off += RANDOM_CHUNK) {
          crypto.getRandomValues(this.bytes(ptr + off, Math.min(RANDOM_CHUNK, len - off)));
        }
        return ERRNO.SUCCESS;
      },
      clock_time_get: (id: number, _precision: bigint, out: number) => {
        if (id < 0 || id > 3) return ERRNO.INVAL;
        this.view().setBigUint64(out, id === CLOCK_REALTIME ? realtimeNs() : monotonicNs(), true);
        return ERRNO.SUCCESS;
      },
      clock_res_get: (id: number, out: number) => {
        if (id < 0 || id > 3) return ERRNO.INVAL;
        this.view().setBigUint64(out, 1000n, true);
        return ERRNO.SUCCESS;
      },
      fd_write: (fd: number, iovs: number, iovsLen: number, nwritten: number) => {
        if (fd !== 1 && fd !== 2) return ERRNO.BADF;
        const dv = this.view();
        let total = 0;
        for (let i = 0; i < iovsLen; i++) {
          const ptr = dv.getUint32(iovs + i * 8, true);
          const len = dv.getUint32(iovs + i * 8 + 4, true);
          this.write(fd, this.bytes(ptr, len));
          total += len;
        }
        dv.setUint32(nwritten, total, true);
        return ERRNO.SUCCESS;
      },
      fd_read: (fd: number, _iovs: number, _iovsLen: number, nread: number) => {
        if (fd !== 0) return ERRNO.BADF;
        this.view().setUint32(nread, 0, true);
        return ERRNO.SUCCESS;
      },
      fd_fdstat_get: (fd: number, out: number) => {
        if (!isStd(fd)) return ERRNO.BADF;
        const dv = this.view();
        dv.setUint8(out, FILETYPE_CHARACTER_DEVICE);
        dv.setUint16(out + 2, 0, true);
        dv.setBigUint64(out + 8, 0xffffffffffffffffn, true);
        dv.setBigUint64(out + 16, 0n, true);
        return ERRNO.SUCCESS;
      },
      fd_fdstat_set_flags: (fd: number) => (isStd(fd) ? ERRNO.SUCCESS : ERRNO.BADF),
      fd_close: (fd: number) => (isStd(fd) ? ERRNO.SUCCESS : ERRNO.BADF),
      fd_seek: (fd: number) => (isStd(fd) ? ERRNO.SPIPE : ERRNO.BADF),
      fd_tell: (fd: number) => (isStd(fd) ? ERRNO.SPIPE : ERRNO.BADF),
      fd_sync: (fd: number) => (isStd(fd) ? ERRNO.SUCCESS : ERRNO.BADF),
      fd_datasync: (fd: number) => (isStd(fd) ? ERRNO.SUCCESS : ERRNO.BADF),
      // No preopened directories: Go stops scanning for preopens at the first EBADF.
      fd_prestat_get: () => ERRNO.BADF,
      fd_prestat_dir_name: () => ERRNO.BADF,
      fd_filestat_get: () => ERRNO.BADF,
      fd_pread: () => ERRNO.BADF,
      fd_pwrite: () => ERRNO.BADF,
      fd_readdir: () => ERRNO.BADF,
      path_open: () => ERRNO.BADF,
      path_filestat_get: () => ERRNO.BADF,
      poll_oneoff: (inPtr: number, outPtr: number, nsubs: number, neventsPtr: number) => {
        // Clock subscriptions fire at once: a sleeping Go caller re-checks the time and polls again.
        const dv = this.view();
        for (let i = 0; i < nsubs; i++) {
          const sub = inPtr + i * SUBSCRIPTION_SIZE;
          const ev = outPtr + i * EVENT_SIZE;
          const tag = dv.getUint8(sub + 8);
          dv.setBigUint64(ev, dv.getBigUint64(sub, true), true);
          dv.setUint16(ev + 8, tag === EVENTTYPE_CLOCK ? ERRNO.SUCCESS : ERRNO.BADF, true);
          dv.setUint8(ev + 10, tag);
          dv.setBigUint64(ev + 16, 0n, true);
          dv.setUint16(ev + 24, 0, true);
        }
        dv.setUint32(neventsPtr, nsubs, true);
        return ERRNO.SUCCESS;
      },
    } as Record<string, Fn>;
  }
}
