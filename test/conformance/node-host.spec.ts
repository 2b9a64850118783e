/**
 * dcm's own Node host against the conformance vectors (README.md here): every
 * call through `dcm invoke --batch` on the client and on the server equals the
 * native `expect`, and every `encodings` entry decodes back to its call's
 * arguments — the same file hosts/python and hosts/go check themselves against.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { decodeArgs } from "../../runtime/abi/codec.js";
import { parseJsonArgs, toCanonicalJson } from "../../runtime/abi/json-values.js";
import type { Manifest } from "../../runtime/abi/manifest-types.js";
import { compareCodePoints } from "../../runtime/abi/map-keys.js";
import { canonicalEqual, parseJsonWithSource } from "../e2e/harness/go-native-harness.js";
import { sameOutcome } from "../parity/harness/compare.js";
import { invokeBatch } from "../parity/harness/invoke.js";
import { ensureVectors, VECTOR_LANGUAGES, type Vectors } from "./write-vectors.js";

let dir: string;
let vectors: Vectors;
beforeAll(async () => {
  dir = await ensureVectors();
  vectors = JSON.parse(await readFile(join(dir, "vectors.json"), "utf8")) as Vectors;
}, 600_000);

describe("the conformance vectors", () => {
  it("cover every language, with calls, encodings and malformed inputs for each", () => {
    for (const lang of VECTOR_LANGUAGES) {
      expect(vectors.calls.filter((c) => c.lang === lang).length, lang).toBeGreaterThan(100);
      expect(vectors.encodings.filter((c) => c.lang === lang).length, lang).toBeGreaterThan(50);
      expect(vectors.malformed.filter((c) => c.lang === lang).length, lang).toBeGreaterThan(0);
    }
  });

  for (const lang of VECTOR_LANGUAGES) {
    it.each(["client", "server"] as const)(`${lang}: dcm's Node host gives every expected value on the %s`, async (on) => {
      const calls = vectors.calls.filter((c) => c.lang === lang);
      const byFragment: Record<string, string[]> = {};
      for (const c of calls) {
        byFragment[c.fragment] ??= [];
        byFragment[c.fragment]!.push(c.args);
      }
      const got = await invokeBatch(join(dir, "dists", lang), byFragment, { on }, dir);
      const seen: Record<string, number> = {};
      const wrong = calls.flatMap((c) => {
        const k = seen[c.fragment] ?? 0;
        seen[c.fragment] = k + 1;
        const g = got[c.fragment]![k]!;
        return sameOutcome(c.fragment, g, c.expect) ? [] : [`${c.fragment} ${c.args}: got ${g}, expected ${c.expect}`];
      });
      expect(wrong).toEqual([]);
    });

    it(`${lang}: maps come back with their keys in ascending order, on both sides`, async () => {
      // Values compare maps by key; the order is the writer's duty (docs/abi.md) and is checked here.
      const ascending = { "map-count": (a: string, b: string) => compareCodePoints(a, b) < 0, "map-invert": (a: string, b: string) => BigInt(a) < BigInt(b) };
      const calls = vectors.calls.filter((c) => c.lang === lang && c.fragment in ascending);
      const byFragment: Record<string, string[]> = {};
      for (const c of calls) {
        byFragment[c.fragment] ??= [];
        byFragment[c.fragment]!.push(c.args);
      }
      for (const on of ["client", "server"] as const) {
        const got = await invokeBatch(join(dir, "dists", lang), byFragment, { on }, dir);
        for (const [fragment, lines] of Object.entries(got)) {
          const before = ascending[fragment as keyof typeof ascending];
          for (const line of lines) {
            const node = parseJsonWithSource(line);
            if (node.t !== "obj") throw new Error(`${fragment} on the ${on}: not a map: ${line}`);
            const keys = node.entries.map(([k]) => k);
            expect(keys.every((k, i) => i === 0 || before(keys[i - 1]!, k)), `${fragment} on the ${on}: ${line}`).toBe(true);
          }
        }
      }
    });

    it(`${lang}: every encoding decodes back to its call's arguments`, async () => {
      const manifest = JSON.parse(await readFile(join(dir, "dists", lang, "manifest.json"), "utf8")) as Manifest;
      for (const e of vectors.encodings.filter((x) => x.lang === lang)) {
        const f = manifest.fragments.find((x) => x.id === e.fragment)!;
        const call = vectors.calls.find((c) => c.lang === lang && c.fragment === e.fragment && c.case === e.case)!;
        const decoded = decodeArgs(f.signature!, manifest.types, Buffer.from(e.hex, "hex"), e.fragment);
        const want = parseJsonArgs(call.args, f.signature!, manifest.types, e.fragment);
        const params = f.signature!.params.map((p) => p.type);
        const got = decoded.map((v, i) => toCanonicalJson(v, params[i]!, manifest.types));
        const exp = want.map((v, i) => toCanonicalJson(v, params[i]!, manifest.types));
        // Maps come back in the wire's sorted key order: compared by key.
        expect(canonicalEqual(`[${got.join(",")}]`, `[${exp.join(",")}]`), `${e.fragment} case ${e.case}: ${got} vs ${exp}`).toBe(true);
      }
    });
  }
});
