/**
 * Malformed argument frames (test/conformance/malformed-inputs.ts) fed as raw
 * bytes to every language's built modules: the client WASM module (its
 * buffer-ABI export, straight through dcm_in/dcm_out) and the native server
 * plugin (NativeInstance.callFrame, the byte-level call of the server). Each
 * must answer with a status 3 result frame (DCM_BAD_ARGUMENTS) whose message
 * says what did not decode (docs/abi.md, "Malformed input"), and keep
 * answering valid calls afterwards. Every registered language with a wasm or
 * native target and a parity fixture takes part; no language is named here.
 */
import { existsSync } from "node:fs";
import { cp, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { planFragment } from "../../runtime/abi/call-plan.js";
import { encodeArgs, Reader, sigCodec } from "../../runtime/abi/codec.js";
import { loadWasmInstance } from "../../runtime/abi/dcm-wasm-instance.js";
import type { Manifest, ManifestFragment, ManifestModule } from "../../runtime/abi/manifest-types.js";
import { NativeInstance } from "../../runtime/native/native-instance.js";
import { Writer } from "../../runtime/abi/wire-io.js";
import { allLanguages } from "../../src/languages/registry.js";
import { MALFORMED_INPUTS } from "../conformance/malformed-inputs.js";
import { ROOT, runCli } from "../support/run-cli.js";

const fixtureDir = (id: string) => join(ROOT, "languages", id, "fixtures", "parity");
const LANGS = allLanguages()
  .filter((l) => [...l.targets.client, ...l.targets.server].some((t) => t === "wasm" || t === "native"))
  .map((l) => l.id)
  .filter((id) => existsSync(join(fixtureDir(id), "dcm.yaml")));
const scratch = await mkdtemp(join(tmpdir(), "dcm-malformed-"));

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

interface WasmExports {
  memory: WebAssembly.Memory;
  dcm_in(len: number): number;
  dcm_out(): number;
  [name: string]: unknown;
}

/** A result frame's status and, for a failure, its message. */
type Answer = { status: number; message?: string };

function readFrame(f: ManifestFragment, manifest: Manifest, frame: Uint8Array): Answer {
  const r = sigCodec(f.signature!, manifest.types).readResult(new Reader().from(frame));
  return r.status === 0 ? { status: 0 } : { status: r.status, message: r.message };
}

/** Callers of one module kind: raw argument bytes in, the module's result frame out. */
async function rawCaller(
  dist: string,
  manifest: Manifest,
  m: ManifestModule,
): Promise<(f: ManifestFragment, args: Uint8Array) => Answer> {
  const fragments = manifest.fragments.filter((f) => m.fragments.includes(f.id));
  if (m.target === "native") {
    const inst = new NativeInstance({ module: m, path: join(dist, m.file), fragments, types: manifest.types });
    const out = new Writer(256);
    return (f, args) => {
      inst.callFrame(f.id, args, out);
      return readFrame(f, manifest, out.buf.slice(0, out.pos));
    };
  }
  const bytes = new Uint8Array(await readFile(join(dist, m.file)));
  const inst = await loadWasmInstance({ module: m, bytes, fragments, types: manifest.types });
  const ex = (inst as unknown as { ex: WasmExports }).ex;
  return (f, args) => {
    const ptr = ex.dcm_in(args.length);
    new Uint8Array(ex.memory.buffer).set(args, ptr);
    const n = (ex[planFragment(f, manifest.types)!.export] as (len: number) => number)(args.length);
    return readFrame(f, manifest, new Uint8Array(ex.memory.buffer, ex.dcm_out(), n).slice());
  };
}

describe.each(LANGS)("%s modules given malformed arguments", (lang) => {
  let manifest: Manifest;
  let dist: string;

  it("build the parity fixture", async () => {
    const repo = join(scratch, lang);
    await cp(fixtureDir(lang), repo, { recursive: true });
    dist = join(scratch, `${lang}-dist`);
    const b = await runCli(["build", repo, "--cfd", join(repo, "dcm.yaml"), "--out", dist]);
    expect(b.code, b.stderr).toBe(0);
    manifest = JSON.parse(await readFile(join(dist, "manifest.json"), "utf8")) as Manifest;
  }, 600_000);

  it("answer every malformed input with DCM_BAD_ARGUMENTS, on every wasm and native module", async () => {
    const modules = manifest.modules.filter((m) => m.target === "wasm" || m.target === "native");
    expect(modules.length).toBeGreaterThan(0);
    for (const m of modules) {
      const call = await rawCaller(dist, manifest, m);
      const byId = (id: string) => {
        const f = manifest.fragments.find((x) => x.id === id);
        if (!f?.signature || !m.fragments.includes(id)) throw new Error(`${lang} ${m.file}: no fragment ${id}`);
        expect(f.abi, `${id} must use the buffer ABI`).toBe("buffer");
        return f;
      };
      for (const bad of MALFORMED_INPUTS) {
        const f = byId(bad.fragment);
        const a = call(f, new Uint8Array(Buffer.from(bad.hex, "hex")));
        const where = `${lang} ${m.file}, ${bad.fragment} ${bad.hex} (${bad.why})`;
        expect(a.status, `${where}: ${JSON.stringify(a)}`).toBe(3);
        expect(a.message, where).toMatch(/\S/);
      }
      // The module still answers a valid call: a refusal leaves no state behind.
      const concat = byId("concat");
      const ok = encodeArgs(concat.signature!, manifest.types, ["a", "é"], "concat");
      expect(call(concat, new Uint8Array(ok))).toEqual({ status: 0 });
    }
  }, 120_000);
});
