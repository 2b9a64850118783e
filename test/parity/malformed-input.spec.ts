/**
 * Malformed argument frames (test/conformance/malformed-inputs.ts) fed as raw
 * bytes to every language's built modules: the client WASM module (its
 * buffer-ABI export, straight through dcm_in/dcm_out) and the native server
 * plugin (NativeInstance.callFrame, the byte-level call of the server). Each
 * must answer with a status 3 result frame (DCM_BAD_ARGUMENTS) whose message
 * says what did not decode (docs/abi.md, "Malformed input"), and keep
 * answering valid calls afterwards. Every registered language with a wasm or
 * native target and a parity fixture takes part; no language is named here.
 *
 * The argument kinds the parity functions do not take (a `bool` in a
 * buffer-ABI call, a list of a zero-size record) come from each language's
 * languages/<id>/fixtures/decoder-edges/ (fragments `pick` and `count-empty`).
 */
import { existsSync } from "node:fs";
import { cp, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { planFragment } from "../../runtime/abi/call-plan.js";
import { encodeArgs, Reader, sigCodec } from "../../runtime/abi/codec.js";
import { loadWasmInstance } from "../../runtime/abi/dcm-wasm-instance.js";
import type { JsValue } from "../../runtime/abi/js-values.js";
import type { Manifest, ManifestFragment, ManifestModule } from "../../runtime/abi/manifest-types.js";
import { NativeInstance } from "../../runtime/native/native-instance.js";
import { Writer } from "../../runtime/abi/wire-io.js";
import { allLanguages } from "../../src/languages/registry.js";
import { MALFORMED_INPUTS } from "../conformance/malformed-inputs.js";
import { ROOT, runCli } from "../support/run-cli.js";

const fixtureDir = (id: string, name = "parity") => join(ROOT, "languages", id, "fixtures", name);
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
type Answer = { status: number; value?: JsValue; message?: string };

function readFrame(f: ManifestFragment, manifest: Manifest, frame: Uint8Array): Answer {
  const r = sigCodec(f.signature!, manifest.types).readResult(new Reader().from(frame));
  return r.status === 0 ? { status: 0, value: r.value } : { status: r.status, message: r.message };
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

/** Builds a fixture of a language with the real CLI; its dist folder and manifest. */
async function buildFixture(lang: string, name: string): Promise<{ dist: string; manifest: Manifest }> {
  const repo = join(scratch, `${lang}-${name}`);
  await cp(fixtureDir(lang, name), repo, { recursive: true });
  const dist = join(scratch, `${lang}-${name}-dist`);
  const b = await runCli(["build", repo, "--cfd", join(repo, "dcm.yaml"), "--out", dist]);
  expect(b.code, b.stderr).toBe(0);
  return { dist, manifest: JSON.parse(await readFile(join(dist, "manifest.json"), "utf8")) as Manifest };
}

/** Every wasm module and native plugin of a dist, with a raw caller and a fragment lookup. */
async function modulesOf(lang: string, dist: string, manifest: Manifest) {
  const modules = manifest.modules.filter((m) => m.target === "wasm" || m.target === "native");
  expect(modules.length).toBeGreaterThan(0);
  return Promise.all(
    modules.map(async (m) => ({
      name: `${lang} ${m.file}`,
      call: await rawCaller(dist, manifest, m),
      byId: (id: string) => {
        const f = manifest.fragments.find((x) => x.id === id);
        if (!f?.signature || !m.fragments.includes(id)) throw new Error(`${lang} ${m.file}: no fragment ${id}`);
        expect(f.abi, `${id} must use the buffer ABI`).toBe("buffer");
        return f;
      },
    })),
  );
}

describe.each(LANGS)("%s modules given malformed arguments", (lang) => {
  let manifest: Manifest;
  let dist: string;

  it("build the parity fixture", async () => {
    ({ dist, manifest } = await buildFixture(lang, "parity"));
  }, 600_000);

  it("answer every malformed input with DCM_BAD_ARGUMENTS, on every wasm and native module", async () => {
    for (const { name, call, byId } of await modulesOf(lang, dist, manifest)) {
      for (const bad of MALFORMED_INPUTS) {
        const f = byId(bad.fragment);
        const a = call(f, new Uint8Array(Buffer.from(bad.hex, "hex")));
        const where = `${name}, ${bad.fragment} ${bad.hex} (${bad.why})`;
        expect(a.status, `${where}: ${JSON.stringify(a)}`).toBe(3);
        expect(a.message, where).toMatch(/\S/);
      }
      // The module still answers a valid call: a refusal leaves no state behind.
      const concat = byId("concat");
      const ok = encodeArgs(concat.signature!, manifest.types, ["a", "é"], "concat");
      expect(call(concat, new Uint8Array(ok))).toEqual({ status: 0, value: "aé" });
    }
  }, 120_000);
});

const EDGE_LANGS = LANGS.filter((id) => existsSync(join(fixtureDir(id, "decoder-edges"), "dcm.yaml")));

describe.each(EDGE_LANGS)("%s modules given a bool or a list of zero-size records", (lang) => {
  let manifest: Manifest;
  let dist: string;
  const u32 = (n: number) => Buffer.from(Uint32Array.of(n).buffer).toString("hex");
  const str = (s: string) => u32(Buffer.byteLength(s)) + Buffer.from(s).toString("hex");

  it("build the decoder-edges fixture", async () => {
    ({ dist, manifest } = await buildFixture(lang, "decoder-edges"));
  }, 600_000);

  it("refuse a bool byte other than 0 or 1, and take 0 and 1", async () => {
    for (const { name, call, byId } of await modulesOf(lang, dist, manifest)) {
      const pick = byId("pick");
      const run = (hex: string) => call(pick, new Uint8Array(Buffer.from(hex, "hex")));
      expect(run(`01${str("yes")}${str("no")}`), name).toEqual({ status: 0, value: "yes" });
      expect(run(`00${str("yes")}${str("no")}`), name).toEqual({ status: 0, value: "no" });
      for (const b of ["02", "ff", "80"])
        expect(run(`${b}${str("yes")}${str("no")}`).status, `${name} bool ${b}`).toBe(3);
    }
  }, 120_000);

  it("take a list of up to 65,536 zero-size records and refuse a longer one without hanging", async () => {
    for (const { name, call, byId } of await modulesOf(lang, dist, manifest)) {
      const count = byId("count-empty");
      const run = (n: number) => call(count, new Uint8Array(Buffer.from(u32(n), "hex")));
      expect(run(3), name).toEqual({ status: 0, value: 3 });
      expect(run(65_536), name).toEqual({ status: 0, value: 65_536 });
      for (const n of [65_537, 0x0100_0000, 0xffff_ffff]) expect(run(n).status, `${name} count ${n}`).toBe(3);
    }
  }, 120_000);
});
