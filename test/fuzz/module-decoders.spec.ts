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
 * DCM_FRAGMENT_PANIC). Two more properties per module: random byte strings
 * (raw, or spliced after a valid prefix) never trap and give status 0 with a
 * result frame the JS codec decodes, or status 3 — always 3 when the JS codec
 * refuses the same bytes (docs/abi.md, "Malformed input"); and valid encodings
 * of random values (full Unicode strings, bytes, 64-bit extremes, optional
 * records, fixed arrays) come back through fragments whose result follows from
 * their argument (concat with "", xor with 0, ...). Fragments whose loop count is an argument
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
import type { JsValue } from "../../runtime/abi/js-values.js";
import { DecodeError } from "../../runtime/abi/value-errors.js";
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

interface Built {
  manifest: Manifest;
  fragments: ManifestFragment[];
  load(): Promise<Exports>;
}

/** Each fixture built once with the real CLI (the properties below share it). */
const builds = new Map<string, Promise<Built>>();
function built(fixture: string): Promise<Built> {
  let b = builds.get(fixture);
  if (!b) {
    b = (async () => {
      const repo = join(scratch, fixture);
      await cp(fixtureDir(fixture), repo, { recursive: true });
      const dist = join(scratch, `${fixture}-dist`);
      const r = await runCli(["build", repo, "--cfd", join(repo, "dcm.yaml"), "--out", dist]);
      if (r.code !== 0) throw new Error(`${fixture}: dcm build failed:\n${r.stderr}`);
      const manifest = JSON.parse(await readFile(join(dist, "manifest.json"), "utf8")) as Manifest;
      const m = manifest.modules.find((x) => x.target === "wasm");
      if (!m) throw new Error(`${fixture}: the dist has no wasm module`);
      const bytes = new Uint8Array(await readFile(join(dist, m.file)));
      const fragments = manifest.fragments.filter((f) => m.fragments.includes(f.id));
      const load = async () =>
        ((await loadWasmInstance({ module: m, bytes, fragments, types: manifest.types })) as unknown as { ex: Exports })
          .ex;
      return { manifest, fragments, load };
    })();
    builds.set(fixture, b);
  }
  return b;
}

/** Raw bytes into a fragment's buffer-ABI export; the result frame's bytes, or the trap. */
function callRaw(
  ex: Exports,
  manifest: Manifest,
  f: ManifestFragment,
  frame: Uint8Array,
): Uint8Array | { trap: string } {
  const plan = planFragment(f, manifest.types)!;
  try {
    const ptr = ex.dcm_in(frame.length);
    new Uint8Array(ex.memory.buffer).set(frame, ptr);
    const n = (ex[plan.export] as (len: number) => number)(frame.length);
    return new Uint8Array(ex.memory.buffer, ex.dcm_out(), n).slice();
  } catch (e) {
    return { trap: `${(e as Error).name}: ${(e as Error).message}` };
  }
}

/**
 * What the JS codec (the reference reader) makes of an argument frame: it
 * refuses it, or reads it and writes the same bytes back (valid and canonical),
 * or reads it only with repairs (bad UTF-8 replaced) or in another form (map
 * keys out of order), where a module may answer either way.
 */
function jsVerdict(manifest: Manifest, f: ManifestFragment, frame: Uint8Array): "refuses" | "canonical" | "other" {
  let args: JsValue[];
  try {
    args = sigCodec(f.signature!, manifest.types).readArgs(new Reader().from(frame));
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
    return "refuses";
  }
  return Buffer.from(encodeArgs(f.signature!, manifest.types, args, f.id)).equals(frame) ? "canonical" : "other";
}

describe.each(FIXTURES)("the %s module's argument decoder", (fixture) => {
  it("answers malformed argument frames with DCM_BAD_ARGUMENTS frames, bounded memory, no hang", async () => {
    const { manifest, fragments, load } = await built(fixture);
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
          // The module and the reference reader agree on what decodes (a bool or tag byte past 1, a count, a cut).
          const verdict = jsVerdict(manifest, f, frame);
          const hex = Buffer.from(frame).toString("hex");
          if (verdict === "refuses") expect(o.status, `${fixture} accepted ${f.id} ${hex}`).toBe(3);
          if (verdict === "canonical") expect(o.status, `${fixture} refused ${f.id} ${hex}: ${o.message}`).not.toBe(3);
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

  it("random byte strings: status 0 with a result the JS codec decodes, or status 3; never a trap", async () => {
    const { manifest, fragments, load } = await built(fixture);
    let ex = await load();
    // index-panic and divide-checked fail by design on some valid arguments (status 2 or a trap, status 1).
    const FAILING = new Set(["index-panic", "divide-checked"]);
    const targets = fragments.filter(
      (f) => f.signature?.params.length && !COUNT_DRIVEN.has(f.id) && planFragment(f, manifest.types)?.abi === "buffer",
    );
    expect(targets.length).toBeGreaterThan(10);
    const prefix = (f: ManifestFragment, i: number) => {
      const cases = CASES[f.id];
      if (!cases) return new Uint8Array(0);
      const args = jsonNodeArgs(cases[i % cases.length]!, f.signature!, manifest.types, f.id);
      const b = new Uint8Array(encodeArgs(f.signature!, manifest.types, args, f.id));
      return b.subarray(0, i % (b.length + 1));
    };
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...targets),
        fc.nat(),
        fc.uint8Array({ maxLength: 48 }),
        async (f, cut, tail) => {
          const head = prefix(f, cut);
          const frame = new Uint8Array(head.length + tail.length);
          frame.set(head);
          frame.set(tail, head.length);
          const hex = Buffer.from(frame).toString("hex");
          const codec = sigCodec(f.signature!, manifest.types);
          const verdict = jsVerdict(manifest, f, frame);
          const out = callRaw(ex, manifest, f, frame);
          if ("trap" in out) {
            expect(f.id, `${fixture} trapped on ${f.id} ${hex}: ${out.trap}`).toBe("index-panic");
            ex = await load();
            return;
          }
          // Throws (and fails the property) when the frame is not a well-formed result frame.
          const r = codec.readResult(new Reader().from(out));
          if (verdict === "refuses")
            expect(r.status, `${fixture} accepted ${f.id} ${hex}, which the JS codec refuses`).toBe(3);
          else if (verdict === "canonical")
            expect(r.status, `${fixture} refused ${f.id} ${hex}, a valid frame: ${r.message}`).not.toBe(3);
          if (r.status === 1 || r.status === 2)
            expect(FAILING.has(f.id), `${fixture} ${f.id} ${hex}: status ${r.status} ${r.message}`).toBe(true);
          expect([0, 1, 2, 3]).toContain(r.status);
        },
      ),
      fuzz(2000, 4),
    );
  }, 600_000);

  it("a string argument decodes exactly when it is valid UTF-8 (the platform's strict decoder decides)", async () => {
    const { manifest, fragments, load } = await built(fixture);
    const ex = await load();
    const f = fragments.find((x) => x.id === "utf8-len");
    if (!f) throw new Error(`${fixture}: no fragment utf8-len`);
    const strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
    const utf8 = fc.string({ unit: "binary", maxLength: 12 }).map((s) => new Uint8Array(Buffer.from(s, "utf8")));
    // Valid text with one byte overwritten, or inserted, hits the edges (overlong forms, surrogates, cut sequences) more often than noise.
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 12 }),
      fc.tuple(utf8, fc.nat(), fc.integer({ min: 0x80, max: 0xff }), fc.boolean()).map(([b, at, x, insert]) => {
        const i = at % (b.length + 1);
        return insert
          ? Uint8Array.from([...b.subarray(0, i), x, ...b.subarray(i)])
          : b.length
            ? b.with(at % b.length, x)
            : b;
      }),
    );
    await fc.assert(
      fc.property(bytes, (b) => {
        const frame = new Uint8Array(4 + b.length);
        new DataView(frame.buffer).setUint32(0, b.length, true);
        frame.set(b, 4);
        let valid = true;
        try {
          strict.decode(b);
        } catch {
          valid = false;
        }
        const out = callRaw(ex, manifest, f, frame);
        if ("trap" in out)
          throw new Error(`${fixture} utf8-len trapped on ${Buffer.from(b).toString("hex")}: ${out.trap}`);
        const r = sigCodec(f.signature!, manifest.types).readResult(new Reader().from(out));
        const hex = Buffer.from(b).toString("hex");
        if (valid) expect(r, `${fixture} on ${hex}`).toEqual({ status: 0, value: b.length });
        else expect(r.status, `${fixture} accepted ${hex}, which is not valid UTF-8`).toBe(3);
      }),
      fuzz(3000, 4),
    );
  }, 600_000);

  it("valid encodings of random values round-trip through the module's decoder and encoder", async () => {
    const { manifest, fragments, load } = await built(fixture);
    const ex = await load();
    const call = (id: string, args: JsValue[]): JsValue => {
      const f = fragments.find((x) => x.id === id);
      if (!f?.signature) throw new Error(`${fixture}: no fragment ${id}`);
      const out = callRaw(ex, manifest, f, new Uint8Array(encodeArgs(f.signature, manifest.types, args, id)));
      if ("trap" in out) throw new Error(`${fixture} ${id} trapped: ${out.trap}`);
      const r = sigCodec(f.signature, manifest.types).readResult(new Reader().from(out));
      if (r.status !== 0) throw new Error(`${fixture} ${id}: status ${r.status} ${r.message}`);
      return r.value;
    };
    // Any Unicode scalar value (no lone surrogates: those have no UTF-8 form).
    const text = fc
      .array(
        fc.oneof(
          fc.integer({ min: 0, max: 0x7f }),
          fc.integer({ min: 0x80, max: 0xd7ff }),
          fc.integer({ min: 0xe000, max: 0x10ffff }),
        ),
        { maxLength: 40 },
      )
      .map((cps) => String.fromCodePoint(...cps));
    const i32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
    const point = fc.record({ x: i32, y: i32 });
    const value = fc.oneof(
      fc.record({ k: fc.constant("text" as const), s: text }),
      fc.record({ k: fc.constant("bytes" as const), b: fc.uint8Array({ maxLength: 64 }) }),
      fc.record({
        k: fc.constant("i64" as const),
        xs: fc.array(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), { maxLength: 12 }),
      }),
      fc.record({ k: fc.constant("optional" as const), p: fc.option(point, { nil: null }), q: point }),
      fc.record({ k: fc.constant("array" as const), a: fc.tuple(i32, i32, i32, i32) }),
    );
    await fc.assert(
      fc.property(value, (v) => {
        switch (v.k) {
          case "text":
            expect(call("concat", [v.s, ""])).toBe(v.s);
            expect(call("concat", ["", v.s])).toBe(v.s);
            break;
          case "bytes":
            expect(call("bytes-xor", [v.b, 0])).toEqual(v.b);
            break;
          case "i64":
            expect(call("sort-ints", [v.xs])).toEqual([...v.xs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
            break;
          case "optional":
            expect(call("optional-or", [v.p, v.q])).toEqual(v.p ?? v.q);
            break;
          case "array":
            expect(call("array-rev", [v.a])).toEqual([...v.a].reverse());
            break;
        }
      }),
      fuzz(600, 4),
    );
  }, 600_000);
});
