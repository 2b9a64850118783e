/**
 * Runs a module in a supervised child process (isolated-child.ts), so that
 * nothing a fragment does can take the host down: Go's os.Exit, Rust's
 * process::exit or abort(), a panic on another goroutine, a stack overflow,
 * an unbounded allocation (the child's memory is bounded with RLIMIT_DATA)
 * end the child only. The calls it had in flight reject with
 * DCM_FRAGMENT_PANIC naming the exit code or signal and the start and end
 * of what the process printed; the next call starts a fresh process.
 * `abandon` (a call past its deadline) and `callSync`'s own deadline SIGKILL
 * the process group at once, so the core and the memory come back right
 * away. The child also dies with the thread that started it
 * (PR_SET_PDEATHSIG); `onProcess` tells a supervisor that may terminate this
 * thread (the executer) which groups to kill with it.
 *
 * Calls travel as docs/abi.md bytes in length-prefixed frames
 * (child-wire-types.ts) over a Unix socket pair: `call` over descriptor 3
 * (frames of one tick in one write), `callSync` over a second pair whose end
 * here is a plain blocking descriptor that this thread polls with a time
 * limit. The two channels are served by one thread of the child, in arrival
 * order per channel: a sync call does not wait for async calls sent before
 * it.
 *
 * Known limitations: Linux only (libc.ts). A process start costs 0.1–0.5 s
 * (Node and the plugin's runtime), paid again by the first call after a
 * crash. What a plugin writes to its stdout or stderr outside the ABI's
 * output capture is kept only for the error of a process that died. A
 * process the plugin moves out of its process group (setsid) escapes the
 * kill; a plugin running as root could raise its own limits.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readSync } from "node:fs";
import { Socket } from "node:net";
import { FragmentCallError } from "../abi/call-error.js";
import { notCallable, unknownFragment } from "../abi/call-plan.js";
import { type SigCodec, sigCodec } from "../abi/codec.js";
import type { NativeFragmentHost } from "../abi/host-types.js";
import type { JsValue } from "../abi/js-values.js";
import type { LoadRequest } from "../abi/module-types.js";
import type { CallOutput, OutputHandler } from "../abi/output-types.js";
import { Reader, Writer } from "../abi/wire-io.js";
import type { ChildError, ChildLoad } from "./child-wire-types.js";
import {
  type Frame,
  FrameReader,
  HEAD_BYTES,
  K_CALL,
  K_ERROR,
  K_FATAL,
  K_LOAD,
  K_OUTPUT,
  K_READY,
  K_RESULT,
  writeHead,
} from "./child-wire.js";
import { pollReadable, socketPair } from "./libc.js";
import { childCommand, closeQuietly, killGroup, writeAll, zombieStatus } from "./process-util.js";

/** Default bound of a plugin process's writable memory. */
export const DEFAULT_MEMORY_LIMIT_MB = 1024;
/** What a dead process printed is kept as its first and last this many characters (a Go crash says why first, a long trace follows). */
const HEAD_CHARS = 800;
const TAIL_CHARS = 1200;
/** How long the stdio of a dead process may take to drain before its calls are answered. */
const DRAIN_MS = 300;

export interface ProcessHostOptions {
  /** The fragments' memory budget, MiB (the process's RLIMIT_DATA is this plus 256 MiB for Node and the plugin's runtime); 0: none. Default 1024. */
  memoryLimitMb?: number;
  /** Open the channel callSync needs. Default true. */
  syncChannel?: boolean;
  /** Glue module (path or URL) that loads the module in the child; none for a native plugin. */
  glue?: string;
  /** Longest a process may take to load the module. Default 30 s. */
  startTimeoutMs?: number;
  /** Told of each process started (alive) and ended: a supervisor that may terminate this thread kills their groups. */
  onProcess?: (pid: number, alive: boolean) => void;
}

interface Pending {
  resolve(v: JsValue): void;
  reject(e: Error): void;
  id: string;
}

interface Target {
  index: number;
  codec: SigCodec;
}

interface Child {
  proc: ChildProcess;
  pid: number;
  sock: Socket;
  syncFd: number | null;
  reader: FrameReader;
  syncReader: FrameReader;
  ready: boolean;
  started: Promise<void>;
  startFailed: FragmentCallError | null;
  /** Async calls sent to it, in order. */
  calls: Map<number, Pending>;
  /** What the process printed outside the ABI's capture: its start and its end. */
  head: string;
  tail: string;
  gone: boolean;
  /** Why this host killed it, if it did. */
  killedFor: string | null;
  exited: Promise<void>;
}

export class ProcessHost implements NativeFragmentHost {
  private readonly targets = new Map<string, Target | null>();
  private readonly refusals = new Map<string, string | undefined>();
  private readonly onOutput: OutputHandler | undefined;
  private readonly load: Uint8Array;
  private readonly file: string;
  private child: Child | null = null;
  private nextCid = 1;
  private readonly outbox = new Writer(4096);
  private outboxChild: Child | null = null;
  private readonly syncOut = new Writer(4096);
  private readonly reader = new Reader();
  private closed: string | null = null;
  private readonly memoryLimitMb: number;
  private readonly syncChannel: boolean;
  private readonly startTimeoutMs: number;
  private readonly onProcess: ProcessHostOptions["onProcess"];

  constructor(req: LoadRequest, opts: ProcessHostOptions = {}) {
    this.file = req.module.file;
    this.onOutput = req.onOutput;
    this.memoryLimitMb = opts.memoryLimitMb ?? DEFAULT_MEMORY_LIMIT_MB;
    this.syncChannel = opts.syncChannel ?? true;
    this.startTimeoutMs = opts.startTimeoutMs ?? 30_000;
    this.onProcess = opts.onProcess;
    req.fragments.forEach((f, index) => {
      this.targets.set(
        f.id,
        f.signature && f.export && f.abi ? { index, codec: sigCodec(f.signature, req.types) } : null,
      );
      if (f.notCallable) this.refusals.set(f.id, f.notCallable);
    });
    const { bytes, onOutput: _o, ...plain } = req;
    const load: ChildLoad = { req: plain, ...(opts.glue ? { glue: opts.glue } : {}) };
    const json = new TextEncoder().encode(JSON.stringify(load));
    const body = new Uint8Array(4 + json.length + (opts.glue && bytes ? bytes.length : 0));
    new DataView(body.buffer).setUint32(0, json.length, true);
    body.set(json, 4);
    if (opts.glue && bytes) body.set(bytes, 4 + json.length);
    this.load = new Uint8Array(HEAD_BYTES + body.length);
    writeHead(new DataView(this.load.buffer), 0, K_LOAD, 0, body.length);
    this.load.set(body, HEAD_BYTES);
  }

  /** The running process's id (null between a crash and the next call). */
  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  private target(id: string): Target {
    const t = this.targets.get(id);
    if (t) return t;
    if (t === null) throw notCallable(id, this.refusals.get(id));
    throw unknownFragment(id, this.targets.keys());
  }

  /** Starts a process (synchronously: the spawn and the LOAD frame); it answers READY when loaded. */
  private spawnChild(): Child {
    const [here, there] = socketPair();
    const [syncHere, syncThere] = this.syncChannel ? socketPair() : [null, null];
    let proc: ChildProcess;
    // The host's secrets are not the plugin's business.
    const { DCM_JWT_SECRET: _jwt, DCM_API_KEYS: _keys, ...env } = process.env;
    try {
      proc = spawn(process.execPath, childCommand(), {
        stdio: ["ignore", "pipe", "pipe", there, ...(syncThere !== null ? [syncThere] : [])],
        // Its own process group: a kill takes whatever the plugin started with it.
        detached: true,
        env: {
          ...env,
          DCM_CHILD_PARENT_PID: String(process.pid),
          DCM_CHILD_MEMORY_MB: String(this.memoryLimitMb),
          DCM_CHILD_SYNC_FD: syncThere !== null ? "4" : "",
        },
      });
    } catch (e) {
      closeQuietly(here);
      closeQuietly(syncHere);
      throw new FragmentCallError("DCM_MODULE_CORRUPT", `${this.file}: cannot start a process: ${(e as Error).message}`, "");
    } finally {
      closeQuietly(there);
      closeQuietly(syncThere);
    }
    // Written while `here` is still blocking: the child reads it first thing. A child that did not
    // start closes its end (EPIPE here); its exit is reported below.
    try {
      writeAll(here, this.load);
    } catch {
      // reported by the exit
    }
    const sock = new Socket({ fd: here, readable: true, writable: true });
    let startOk!: () => void;
    let startBad!: (e: Error) => void;
    const started = new Promise<void>((res, rej) => {
      startOk = res;
      startBad = rej;
    });
    started.catch(() => {});
    let exitedDone!: () => void;
    const child: Child = {
      proc,
      pid: proc.pid ?? -1,
      sock,
      syncFd: syncHere,
      reader: new FrameReader(),
      syncReader: new FrameReader(),
      ready: false,
      started,
      startFailed: null,
      calls: new Map(),
      head: "",
      tail: "",
      gone: false,
      killedFor: null,
      exited: new Promise<void>((r) => (exitedDone = r)),
    };
    const startTimer = setTimeout(() => {
      if (child.ready || child.gone) return;
      this.kill(child, `did not load the module within ${this.startTimeoutMs} ms`);
    }, this.startTimeoutMs);
    startTimer.unref();
    const keepTail = (d: Buffer) => this.keep(child, d.toString("utf8"));
    proc.stdout!.on("data", keepTail);
    proc.stderr!.on("data", keepTail);
    sock.on("data", (d: Buffer) => {
      child.reader.push(d);
      for (let f = child.reader.next(); f; f = child.reader.next()) this.onFrame(child, f, startOk, startBad);
    });
    sock.on("error", () => {});
    proc.on("error", (e) => {
      this.keep(child, `\n${e.message}`);
      this.onExit(child, null, null);
      if (!child.ready) startBad(this.deathError(child, null, null, ""));
      exitedDone();
    });
    // Answers in the channel and the last words on stdio may still be in flight when the exit is seen.
    const drained = Promise.all([
      new Promise((r) => sock.once("close", r)),
      new Promise((r) => proc.once("close", r)),
    ]);
    proc.on("exit", (code, signal) => {
      clearTimeout(startTimer);
      // Whatever the plugin started goes with it.
      killGroup(child.pid);
      let settled = false;
      const settle = () => {
        if (settled) return;
        settled = true;
        clearTimeout(t);
        this.onExit(child, code, signal);
        if (!child.ready) startBad(child.startFailed ?? this.deathError(child, code, signal, ""));
        exitedDone();
      };
      const t = setTimeout(settle, DRAIN_MS);
      void drained.then(settle);
    });
    if (child.pid > 1) {
      this.onProcess?.(child.pid, true);
      void child.exited.then(() => this.onProcess?.(child.pid, false));
    }
    this.idle(child);
    return child;
  }

  private keep(child: Child, text: string): void {
    if (child.head.length < HEAD_CHARS) {
      const take = HEAD_CHARS - child.head.length;
      child.head += text.slice(0, take);
      text = text.slice(take);
    }
    if (text) child.tail = (child.tail + text).slice(-TAIL_CHARS);
  }

  private printed(child: Child): string {
    return (child.tail && child.tail.length === TAIL_CHARS ? `${child.head}\n…\n${child.tail}` : child.head + child.tail).trim();
  }

  /** Only a start or calls in flight keep the host's process alive. */
  private idle(child: Child): void {
    const busy = child.calls.size > 0 || (!child.ready && !child.gone);
    for (const h of [child.proc, child.sock, child.proc.stdout as Socket | null, child.proc.stderr as Socket | null]) {
      if (busy) h?.ref();
      else h?.unref();
    }
  }

  private onFrame(child: Child, f: Frame, startOk: () => void, startBad: (e: Error) => void): void {
    switch (f.kind) {
      case K_READY:
        child.ready = true;
        this.idle(child);
        startOk();
        return;
      case K_FATAL: {
        const e = JSON.parse(new TextDecoder().decode(f.payload)) as ChildError;
        child.startFailed = new FragmentCallError(e.code, e.message, "");
        startBad(child.startFailed);
        return;
      }
      case K_OUTPUT: {
        const p = child.calls.get(f.cid);
        this.onOutput?.({ fragment: p?.id ?? "", ...(JSON.parse(new TextDecoder().decode(f.payload)) as CallOutput) });
        return;
      }
      case K_RESULT:
      case K_ERROR: {
        const p = child.calls.get(f.cid);
        if (!p) return;
        child.calls.delete(f.cid);
        if (child.calls.size === 0) this.idle(child);
        if (f.kind === K_ERROR) {
          const e = JSON.parse(new TextDecoder().decode(f.payload)) as ChildError;
          p.reject(new FragmentCallError(e.code, e.message, p.id));
          return;
        }
        try {
          const t = this.target(p.id);
          const dv = new DataView(f.payload.buffer, f.payload.byteOffset, f.payload.byteLength);
          p.resolve(t.codec.readResultValue(this.reader.reset(f.payload, dv, 0, f.payload.length), p.id));
        } catch (e) {
          p.reject(e as Error);
        }
      }
    }
  }

  private deathError(child: Child, code: number | null, signal: NodeJS.Signals | null, what: string): FragmentCallError {
    const how =
      child.killedFor ??
      (signal ? `was killed by ${signal}` : code !== null ? `exited with code ${code}` : "could not be started");
    return this.deathMessage(child, how, what);
  }

  private deathMessage(child: Child, how: string, what: string): FragmentCallError {
    const tail = this.printed(child);
    const limit = this.memoryLimitMb > 0 ? ` (memory limit ${this.memoryLimitMb} MiB)` : "";
    const message = `the process hosting ${this.file}${limit} ${how}${what}${tail ? `; its last output:\n${tail}` : ""}`;
    return new FragmentCallError(child.ready ? "DCM_FRAGMENT_PANIC" : "DCM_MODULE_CORRUPT", message, "");
  }

  private onExit(child: Child, code: number | null, signal: NodeJS.Signals | null): void {
    this.forget(child);
    let first: string | null = null;
    for (const [cid, p] of child.calls) {
      child.calls.delete(cid);
      first ??= p.id;
      const what = p.id === first ? ` while running \`${p.id}\`` : ` while \`${p.id}\` waited behind \`${first}\``;
      const e = this.deathError(child, code, signal, what);
      p.reject(new FragmentCallError("DCM_FRAGMENT_PANIC", e.message, p.id));
    }
  }

  /** Drops a child from this host: the next call starts a new one. */
  private forget(child: Child): void {
    child.gone = true;
    if (this.child === child) this.child = null;
    closeQuietly(child.syncFd);
    child.syncFd = null;
    child.sock.destroy();
  }

  private kill(child: Child, why: string): void {
    child.killedFor ??= why;
    this.forget(child);
    killGroup(child.pid);
  }

  private current(): Child {
    if (!this.child || this.child.gone) this.child = this.spawnChild();
    return this.child;
  }

  /** Waits for the first process to load the module (load errors surface here). */
  async start(): Promise<void> {
    await this.current().started;
  }

  private checkOpen(id: string): void {
    if (this.closed !== null)
      throw new FragmentCallError("DCM_FRAGMENT_PANIC", `the plugin host is closed: ${this.closed}`, id);
  }

  /** Appends a CALL frame for `id` to `w`; on bad arguments `w` is left as it was. */
  private encodeCall(w: Writer, cid: number, id: string, t: Target, args: JsValue[]): void {
    const at = w.pos;
    w.ensure(HEAD_BYTES + 4);
    w.pos += HEAD_BYTES;
    w.dv.setUint32(w.pos, t.index, true);
    w.pos += 4;
    try {
      t.codec.writeArgs(w, args, id);
    } catch (e) {
      w.pos = at;
      throw e;
    }
    writeHead(w.dv, at, K_CALL, cid, w.pos - at - HEAD_BYTES);
  }

  call(fragmentId: string, args: JsValue[]): Promise<JsValue> {
    let child: Child;
    const cid = this.nextCid++;
    try {
      this.checkOpen(fragmentId);
      const t = this.target(fragmentId);
      child = this.current();
      if (this.outbox.pos === 0) queueMicrotask(this.flush);
      this.encodeCall(this.outbox, cid, fragmentId, t, args);
    } catch (e) {
      return Promise.reject(e);
    }
    this.outboxChild = child;
    return new Promise<JsValue>((resolve, reject) => {
      child.calls.set(cid, { resolve, reject, id: fragmentId });
      if (child.calls.size === 1) this.idle(child);
    });
  }

  private readonly flush = (): void => {
    const bytes = this.outbox.bytes();
    this.outbox.pos = 0;
    const child = this.outboxChild;
    this.outboxChild = null;
    // Calls encoded for a process that died meanwhile were answered by its death.
    if (bytes.length === 0 || !child || child.gone) return;
    child.sock.write(bytes);
  };

  /** Reads frames of the sync channel until one for `cid` (or READY, when cid is 0); throws on death or timeout. */
  private syncFrame(child: Child, cid: number, id: string, deadline: number): Frame {
    const fd = child.syncFd!;
    const r = child.syncReader;
    for (;;) {
      for (let f = r.next(); f; f = r.next()) {
        if (f.kind === K_OUTPUT) {
          this.onOutput?.({ fragment: id, ...(JSON.parse(new TextDecoder().decode(f.payload)) as CallOutput) });
          continue;
        }
        if (f.kind === K_FATAL) {
          const e = JSON.parse(new TextDecoder().decode(f.payload)) as ChildError;
          child.startFailed = new FragmentCallError(e.code, e.message, "");
          this.kill(child, "did not load the module");
          throw child.startFailed;
        }
        if (f.kind === K_READY) {
          child.ready = true;
          if (cid === 0) return f;
          continue;
        }
        if (f.cid === cid) return f;
      }
      const left = deadline === Number.POSITIVE_INFINITY ? -1 : Math.max(0, deadline - performance.now());
      if (pollReadable([fd], left).length === 0) {
        if (performance.now() < deadline) continue; // interrupted
        const why = cid === 0 ? "did not load the module in time" : `was killed: \`${id}\` ran past its time limit`;
        this.kill(child, why);
        throw new FragmentCallError(
          cid === 0 ? "DCM_MODULE_CORRUPT" : "DCM_CALL_TIMEOUT",
          cid === 0
            ? `the process hosting ${this.file} ${why}`
            : `\`${id}\` did not finish within its time limit; its plugin process was killed.`,
          id,
        );
      }
      let n = 0;
      try {
        n = readSync(fd, r.space());
      } catch {
        n = 0;
      }
      if (n === 0) throw this.syncDeath(child, id);
      r.wrote(n);
    }
  }

  /** The process died under a sync call: its status and output, read without the event loop. */
  private syncDeath(child: Child, id: string): FragmentCallError {
    const how = child.killedFor ?? zombieStatus(child.pid) ?? "ended";
    const fd = (child.proc.stderr as unknown as { _handle?: { fd?: number } })?._handle?.fd;
    if (typeof fd === "number" && fd >= 0) {
      const buf = Buffer.alloc(TAIL_CHARS * 2);
      try {
        for (let n = readSync(fd, buf); n > 0; n = readSync(fd, buf)) this.keep(child, buf.toString("utf8", 0, n));
      } catch {
        // EAGAIN: nothing more for now
      }
    }
    const e = this.deathMessage(child, how, ` while running \`${id}\``);
    this.kill(child, how);
    return new FragmentCallError(e.code === "DCM_MODULE_CORRUPT" ? e.code : "DCM_FRAGMENT_PANIC", e.message, id);
  }

  /** Blocks this thread until the child answers; `timeoutMs` bounds the call (the process is killed at it). */
  callSync(fragmentId: string, args: JsValue[], timeoutMs?: number): JsValue {
    this.checkOpen(fragmentId);
    if (!this.syncChannel) throw new Error("this plugin host was started without a sync channel");
    const t = this.target(fragmentId);
    const deadline = timeoutMs === undefined ? Number.POSITIVE_INFINITY : performance.now() + timeoutMs;
    const w = this.syncOut;
    w.pos = 0;
    const cid = this.nextCid++;
    this.encodeCall(w, cid, fragmentId, t, args);
    const child = this.current();
    if (!child.ready) this.syncFrame(child, 0, fragmentId, performance.now() + this.startTimeoutMs);
    try {
      writeAll(child.syncFd!, w.buf.subarray(0, w.pos));
    } catch {
      throw this.syncDeath(child, fragmentId);
    }
    const f = this.syncFrame(child, cid, fragmentId, deadline);
    if (f.kind === K_ERROR) {
      const e = JSON.parse(new TextDecoder().decode(f.payload)) as ChildError;
      throw new FragmentCallError(e.code, e.message, fragmentId);
    }
    const dv = new DataView(f.payload.buffer, f.payload.byteOffset, f.payload.byteLength);
    return t.codec.readResultValue(this.reader.reset(f.payload, dv, 0, f.payload.length), fragmentId);
  }

  /**
   * A call ran past its deadline: the process group is killed now and every
   * call in flight rejects with `why`. Resolves true once the process is gone
   * (false if that took more than graceMs). The host stays usable.
   */
  abandon(why: string, graceMs: number): Promise<boolean> {
    const child = this.child;
    if (!child) return Promise.resolve(true);
    for (const [cid, p] of child.calls) {
      child.calls.delete(cid);
      p.reject(new FragmentCallError("DCM_FRAGMENT_PANIC", why, p.id));
    }
    this.kill(child, "was killed");
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), graceMs);
      void child.exited.then(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  async close(): Promise<void> {
    this.closed ??= "the plugin host was closed";
    const child = this.child;
    if (!child) return;
    for (const [cid, p] of child.calls) {
      child.calls.delete(cid);
      p.reject(new FragmentCallError("DCM_FRAGMENT_PANIC", this.closed, p.id));
    }
    // Closing the channel lets the child free its plugin context and exit; one that does not is killed.
    child.sock.end();
    this.forget(child);
    child.proc.ref();
    const timer = setTimeout(() => killGroup(child.pid), 1000);
    await child.exited;
    clearTimeout(timer);
  }
}

/** Starts a process host; resolves once its process loaded the module (load errors reject). */
export async function startProcessHost(req: LoadRequest, opts: ProcessHostOptions = {}): Promise<ProcessHost> {
  const host = new ProcessHost(req, opts);
  try {
    await host.start();
  } catch (e) {
    await host.close();
    throw e;
  }
  return host;
}
