/**
 * The serving thread of a plugin process (isolated-child.ts): reads the
 * LOAD frame, loads the module, then answers CALL frames one at a time, in
 * the order they arrive on each channel, with blocking reads and writes (no
 * event loop in the way: one poll and one read per batch of frames, one
 * write per answer, sent before the next call starts). Descriptor 3 carries async calls; the optional sync
 * channel carries callSync's. The parent closing descriptor 3 ends the
 * process.
 *
 * A native plugin loads with NativeInstance (docs/abi.md plugin exports, the
 * same for every language); other modules (wasm, js) through the language
 * glue the parent names, found by the parent through the manifest and the
 * adapter registry. An instance that trapped is replaced before the next call.
 */
import { readSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { workerData } from "node:worker_threads";
import { FragmentCallError } from "../abi/call-error.js";
import { type SigCodec, sigCodec } from "../abi/codec.js";
import type { JsValue } from "../abi/js-values.js";
import type { FragmentInstance, LoadRequest, ModuleLoader } from "../abi/module-types.js";
import type { CallOutput } from "../abi/output-types.js";
import { DecodeError } from "../abi/value-errors.js";
import { Reader, Writer } from "../abi/wire-io.js";
import type { ChildError, ChildLoad } from "./child-wire-types.js";
import {
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
import { closeFd, pollReadable } from "./libc.js";
import { NativeInstance } from "./native-instance.js";
import { writeAll } from "./process-util.js";

interface Served {
  call(id: string, args: Uint8Array, out: Writer): void;
  takeOutput(): CallOutput | null;
  close(): void;
}

const ASYNC_FD = 3;
const syncFd = (workerData as { syncFd: number | null }).syncFd;
const fds = syncFd === null ? [ASYNC_FD] : [ASYNC_FD, syncFd];

function errorInfo(e: unknown): ChildError {
  if (e instanceof FragmentCallError) return { code: e.code, message: e.message };
  // Glue bundled into a dist carries its own copy of FragmentCallError.
  const x = e as { code?: unknown; message?: unknown } | null;
  if (x && typeof x.code === "string" && x.code.startsWith("DCM_") && typeof x.message === "string")
    return { code: x.code, message: x.message };
  return { code: "DCM_FRAGMENT_PANIC", message: `plugin process: ${(e as Error)?.message ?? String(e)}` };
}

/** A glue-loaded instance (wasm, js) behind the byte-level interface of NativeInstance.callFrame. */
class GlueServed implements Served {
  private inst!: FragmentInstance;
  private readonly codecs = new Map<string, SigCodec>();
  private readonly reader = new Reader();

  constructor(
    private readonly loader: ModuleLoader,
    private readonly req: LoadRequest,
  ) {
    for (const f of req.fragments) if (f.signature) this.codecs.set(f.id, sigCodec(f.signature, req.types));
  }

  async start(): Promise<this> {
    this.inst = await this.loader.load(this.req);
    return this;
  }

  call(id: string, args: Uint8Array, out: Writer): void {
    const codec = this.codecs.get(id);
    let decoded: JsValue[] = [];
    if (codec) {
      try {
        decoded = codec.readArgs(this.reader.from(args));
      } catch (e) {
        if (e instanceof DecodeError)
          throw new FragmentCallError("DCM_BAD_ARGUMENTS", `arguments do not decode: ${e.message}`, id);
        throw e;
      }
    }
    const value = this.inst.call(id, decoded);
    out.pos = 0;
    codec!.writeResult(out, { status: 0, value });
  }

  takeOutput(): CallOutput | null {
    return this.inst.takeOutput?.() ?? null;
  }

  /** A trapped instance cannot be trusted: load a fresh one (the module's bytes are at hand). */
  async renewIfDead(): Promise<void> {
    if (!this.inst.isDead?.()) return;
    this.inst.close();
    this.inst = await this.loader.load(this.req);
  }

  close(): void {
    this.inst.close();
  }
}

async function load(payload: Uint8Array): Promise<{ served: Served; glue: GlueServed | null; ids: string[] }> {
  const dv = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const jsonLen = dv.getUint32(0, true);
  const { req, glue } = JSON.parse(new TextDecoder().decode(payload.subarray(4, 4 + jsonLen))) as ChildLoad;
  const ids = req.fragments.map((f) => f.id);
  if (!glue) {
    const inst = new NativeInstance(req);
    const served: Served = {
      call: (id, args, out) => inst.callFrame(id, args, out),
      takeOutput: () => inst.takeOutput(),
      close: () => inst.close(),
    };
    return { served, glue: null, ids };
  }
  const href = glue.startsWith("file:") ? glue : pathToFileURL(glue).href;
  const mod = (await import(href)) as { default: ModuleLoader };
  const g = await new GlueServed(mod.default, { ...req, bytes: payload.slice(4 + jsonLen) }).start();
  return { served: g, glue: g, ids };
}

async function main(): Promise<void> {
  const readers = new Map(fds.map((fd) => [fd, new FrameReader()]));
  const replies = new Writer(64 * 1024);
  const result = new Writer(4096);
  const encoder = new TextEncoder();
  let loaded: Awaited<ReturnType<typeof load>> | null = null;

  const put = (kind: number, cid: number, payload: Uint8Array) => {
    replies.ensure(HEAD_BYTES + payload.length);
    writeHead(replies.dv, replies.pos, kind, cid, payload.length);
    replies.buf.set(payload, replies.pos + HEAD_BYTES);
    replies.pos += HEAD_BYTES + payload.length;
  };
  const putJson = (kind: number, cid: number, v: unknown) => put(kind, cid, encoder.encode(JSON.stringify(v)));

  for (;;) {
    for (const fd of pollReadable(fds, -1)) {
      const r = readers.get(fd)!;
      const n = readSync(fd, r.space());
      if (n === 0) {
        // The parent closed the channel: free the plugin's context and end the process.
        if (fd === ASYNC_FD) {
          loaded?.served.close();
          for (const f of fds) closeFd(f);
          process.exit(0);
        }
        fds.splice(fds.indexOf(fd), 1);
        continue;
      }
      r.wrote(n);
      replies.pos = 0;
      for (let f = r.next(); f; f = r.next()) {
        if (f.kind === K_LOAD) {
          try {
            loaded = await load(f.payload);
          } catch (e) {
            const err = errorInfo(e);
            for (const out of fds) {
              replies.pos = 0;
              putJson(K_FATAL, 0, err);
              writeAll(out, replies.buf.subarray(0, replies.pos));
            }
            process.exit(0);
          }
          replies.pos = 0;
          put(K_READY, 0, new Uint8Array(0));
          for (const out of fds) if (out !== fd) writeAll(out, replies.buf.subarray(0, replies.pos));
          continue;
        }
        if (f.kind !== K_CALL || !loaded) continue;
        const dv = new DataView(f.payload.buffer, f.payload.byteOffset, f.payload.byteLength);
        const id = loaded.ids[dv.getUint32(0, true)] ?? "";
        try {
          loaded.served.call(id, f.payload.subarray(4), result);
          const output = loaded.served.takeOutput();
          if (output) putJson(K_OUTPUT, f.cid, output);
          put(K_RESULT, f.cid, result.buf.subarray(0, result.pos));
        } catch (e) {
          const output = loaded.served.takeOutput();
          if (output) putJson(K_OUTPUT, f.cid, output);
          putJson(K_ERROR, f.cid, errorInfo(e));
        }
        // Written before the next call starts: if that one ends the process, this answer is not lost,
        // and the parent knows which call was running.
        writeAll(fd, replies.buf.subarray(0, replies.pos));
        replies.pos = 0;
        if (loaded.glue) await loaded.glue.renewIfDead();
      }
      if (replies.pos > 0) writeAll(fd, replies.buf.subarray(0, replies.pos));
    }
  }
}

void main();
