/**
 * Fuzzing each language's own ABI decoder: the code dcm generates into every
 * WASM module to read its argument frame (docs/abi.md). The parity fixtures
 * (languages/<id>/fixtures/parity/ of every registered language whose dist
 * has a wasm module) are built with the real CLI and toolchains; each module then
 * gets the parity cases' valid argument frames, cut short, with a byte
 * overwritten, or with a huge count spliced in, straight into its buffer-ABI
 * exports. Every answer must be a well-formed result frame (status 3,
 * DCM_BAD_ARGUMENTS, for what does not decode), with memory bounded; only
 * `index-panic`, which panics by design, may trap (hosts contain a trap as
 * DCM_FRAGMENT_PANIC). Fragments whose loop count is an argument
 * (print-lines, fib-u64, is-prime) are left out: a large count is a valid
 * argument there, not a decoder bug. TypeScript modules (target js) decode
 * with runtime/abi's codec, fuzzed in abi-decoders.spec.ts.
 */
import { existsSync, readFileSync } from "node:fs";
import { cp, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { planFragment } from "../../runtime/abi/call-plan.js";
import { encodeArgs, Reader, sigCodec } from "../../runtime/abi/codec.js";
import { loadWasmInstance } from "../../runtime/abi/dcm-wasm-instance.js";
import { type JNode, parseJson } from "../../runtime/abi/json-parse.js";
import { jsonNodeArgs } from "../../runtime/abi/json-values.js";
import type { Manifest, ManifestFragment } from "../../runtime/abi/manifest-types.js";
import { allLanguages } from "../../src/languages/registry.js";
import { ROOT, runCli } from "../support/run-cli.js";
import { fuzz } from "./fuzz-config.js";

const PARITY = join(ROOT, "test/parity");
const fixtureDir = (id: string) => join(ROOT, "languages", id, "fixtures", "parity");
/** Parity fixtures (named by language id) of the registered languages that build wasm modules. */
const FIXTURES = allLanguages()
  .filter((l) => [...l.targets.client, ...l.targets.server].includes("wasm"))
  .map((l) => l.id)
  .filter((id) => existsSync(join(fixtureDir(id), "dcm.yaml")));
/** The parity cases as JSON nodes (64-bit integers kept exact): fragment id -> argument arrays. */
const CASES = (() => {
  const root = parseJson(readFileSync(join(PARITY, "cases.json"), "utf8"));
  const out: Record<string, JNode[]> = {};
  if (root.k === "obj") for (const [id, v] of root.entries) if (v.k === "arr") out[id] = v.items;
  return out;
})();
const COUNT_DRIVEN = new Set(["print-lines", "fib-u64", "is-prime"]);
const MAX_MEMORY = 256 * 2 ** 20;
const scratch = await mkdtemp(join(tmpdir(), "dcm-fuzz-modules-"));

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

interface Exports {
  memory: WebAssembly.Memory;
  dcm_in(len: number): number;
  dcm_out(): number;
  [name: string]: unknown;
}

/** What a module answered to a raw argument frame. */
type Outcome = { status: number; message?: string } | { trap: string };

describe.each(FIXTURES)("the %s module's argument decoder", (fixture) => {
  it("answers malformed argument frames with DCM_BAD_ARGUMENTS frames, bounded memory, no hang", async () => {
    const repo = join(scratch, fixture);
    await cp(fixtureDir(fixture), repo, { recursive: true });
    const dist = join(scratch, `${fixture}-dist`);
    const b = await runCli(["build", repo, "--cfd", join(repo, "dcm.yaml"), "--out", dist]);
    expect(b.code, b.stderr).toBe(0);
    const manifest = JSON.parse(await readFile(join(dist, "manifest.json"), "utf8")) as Manifest;
    const m = manifest.modules.find((x) => x.target === "wasm");
    if (!m) throw new Error(`${fixture}: the dist has no wasm module`);
    const bytes = new Uint8Array(await readFile(join(dist, m.file)));
    const fragments = manifest.fragments.filter((f) => m.fragments.includes(f.id));
    const load = async () =>
      ((await loadWasmInstance({ module: m, bytes, fragments, types: manifest.types })) as unknown as { ex: Exports })
        .ex;
    let ex = await load();
    const targets = fragments.filter(
      (f) =>
        f.signature?.params.length &&
        !COUNT_DRIVEN.has(f.id) &&
        planFragment(f, manifest.types)?.abi === "buffer" &&
        CASES[f.id],
    );
    expect(targets.length).toBeGreaterThan(10);
    const valid = (f: ManifestFragment, i: number) => {
      const cases = CASES[f.id]!;
      const args = jsonNodeArgs(cases[i % cases.length]!, f.signature!, manifest.types, f.id);
      return new Uint8Array(encodeArgs(f.signature!, manifest.types, args, f.id));
    };
    const rawCall = (f: ManifestFragment, frame: Uint8Array): Outcome => {
      const plan = planFragment(f, manifest.types)!;
      try {
        const ptr = ex.dcm_in(frame.length);
        new Uint8Array(ex.memory.buffer).set(frame, ptr);
        const n = (ex[plan.export] as (len: number) => number)(frame.length);
        const out = ex.dcm_out();
        const result = new Uint8Array(ex.memory.buffer, out, n).slice();
        const r = sigCodec(f.signature!, manifest.types).readResult(new Reader().from(result));
        return r.status === 0 ? { status: 0 } : { status: r.status, message: r.message };
      } catch (e) {
        return { trap: `${(e as Error).name}: ${(e as Error).message}` };
      }
    };
    const mutation = fc.oneof(
      fc.record({ op: fc.constant("cut" as const), at: fc.nat() }),
      fc.record({ op: fc.constant("set" as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
      fc.record({
        op: fc.constant("count" as const),
        at: fc.nat(),
        n: fc.constantFrom(0x7fff_ffff, 0xffff_ffff, 0x0100_0000, 65_536),
      }),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...targets), fc.nat(), mutation, async (f, which, mu) => {
        let frame = valid(f, which);
        const at = mu.at % (frame.length + 1);
        if (mu.op === "cut") frame = frame.subarray(0, at);
        else if (mu.op === "set" && frame.length) frame[at % frame.length] = mu.byte;
        else if (mu.op === "count") {
          const n = mu.n;
          const spliced = new Uint8Array(frame.length + 4);
          spliced.set(frame.subarray(0, at));
          spliced.set([n & 255, (n >>> 8) & 255, (n >>> 16) & 255, n >>> 24], at);
          spliced.set(frame.subarray(at), at + 4);
          frame = spliced;
        }
        const o = rawCall(f, frame);
        if ("trap" in o) {
          expect(f.id, `${fixture} trapped on ${Buffer.from(frame).toString("hex")}: ${o.trap}`).toBe("index-panic");
          ex = await load();
        } else {
          expect([0, 1, 2, 3], JSON.stringify(o)).toContain(o.status);
          if (o.status === 2)
            expect(f.id, `${fixture} panicked on ${Buffer.from(frame).toString("hex")}: ${o.message}`).toBe(
              "index-panic",
            );
        }
        expect(ex.memory.buffer.byteLength).toBeLessThanOrEqual(MAX_MEMORY);
      }),
      fuzz(1500, 4),
    );
  }, 600_000);
});
