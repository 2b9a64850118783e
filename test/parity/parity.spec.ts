/**
 * Cross-language parity (see test/parity/README.md): the same ~38 functions
 * in every registered language (each brings them in
 * languages/<id>/fixtures/parity/ with its native runner, harness/languages.ts),
 * over the whole value model with edge values. For every language: `dcm build`,
 * then every case through `dcm invoke` on the client, on the server, and on
 * the server's other target, each compared with the function run natively
 * by the language's own toolchain. Then: the languages' native results agree
 * with each other, except for the documented differences.
 */
import { existsSync } from "node:fs";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { Manifest } from "../../runtime/abi/manifest-types.js";
import { languageById } from "../../src/languages/registry.js";
import { runCli } from "../support/run-cli.js";
import { CASES, casesFor, fragmentsFor } from "./harness/cases.js";
import { errorCode, sameOutcome } from "./harness/compare.js";
import { type Placement, invokeBatch, placementName } from "./harness/invoke.js";
import { PARITY_LANGUAGES } from "./harness/languages.js";
import { nativeResults, normaliseForAgreement, type Results } from "./harness/natives.js";

const natives = new Map<string, Promise<Results>>();
/** The expected result of each case for a language: the same function run natively by its own toolchain. */
function reference(lang: string): Promise<Results> {
  if (!natives.has(lang)) natives.set(lang, nativeResults(lang));
  return natives.get(lang)!;
}

/** The registered languages that bring their parity fixtures (the others fail below, saying what is missing). */
const LANGUAGES = PARITY_LANGUAGES.filter((l) => l.parity).map((l) => l.id);

for (const { id: lang, repo, problem } of PARITY_LANGUAGES) {
  const adapter = languageById(lang)!;
  describe(`${lang}: dcm invoke equals ${lang} run natively`, () => {
    if (problem) {
      it("brings its parity fixtures", () => {
        throw new Error(problem);
      });
      return;
    }
    const placements: Placement[] = [{ on: "client" }, { on: "server" }];
    for (const t of adapter.targets.server.slice(1)) {
      if (t === "wasm" || t === "native") placements.push({ on: "server", target: t });
    }
    let dist: string;
    let tmp: string;
    let manifest: Manifest;
    let ref: Results;
    const cases = casesFor(lang);

    beforeAll(async () => {
      tmp = await mkdtemp(join(tmpdir(), `dcm-parity-${lang}-`));
      dist = join(tmp, "dist");
      const build = await runCli(["build", repo, "--cfd", join(repo, "dcm.yaml"), "--out", dist, "--json"]);
      expect(build.stdout, `dcm build ${repo} failed:\n${build.stdout}${build.stderr}`).toContain('"ok": true');
      manifest = JSON.parse(await readFile(join(dist, "manifest.json"), "utf8")) as Manifest;
      ref = await reference(lang);
    });

    it("builds every parity fragment as callable, with one module per side", () => {
      const callable = manifest.fragments.filter((f) => f.signature).map((f) => f.id);
      expect([...callable].sort()).toEqual(fragmentsFor(lang).sort());
      for (const m of manifest.modules) expect(existsSync(join(dist, m.file)), m.file).toBe(true);
    });

    it.each(placements.map((p) => [placementName(p), p] as const))("every case with %s", async (_name, p) => {
      const raw = Object.fromEntries(Object.entries(cases).map(([id, list]) => [id, list.map((c) => c.args)]));
      const run: { stderr?: string } = {};
      const got = await invokeBatch(dist, raw, p, tmp, run);
      const mismatches: string[] = [];
      for (const [id, list] of Object.entries(cases)) {
        list.forEach((c, k) => {
          const g = got[id]![k]!;
          const w = ref[id]![k]!;
          if (!sameOutcome(id, g, w)) {
            mismatches.push(`${id} case #${c.index} ${c.args} ${placementName(p)}:\n    got    ${g}\n    native ${w}`);
          }
        });
      }
      expect(mismatches, `${mismatches.length} mismatch(es):\n${mismatches.join("\n")}`).toEqual([]);
      // What print-lines printed is on stderr (never a stdout line: invokeBatch counted them), prefixed, in order.
      const printed = run.stderr!.split("\n").filter((l) => l.startsWith("[fragment print-lines] "));
      if (!cases["print-lines"]) {
        expect(printed).toEqual([]);
        return;
      }
      expect(printed.slice(0, 5)).toEqual([
        "[fragment print-lines] hello",
        "[fragment print-lines] printed 1",
        "[fragment print-lines] printed 0",
        "[fragment print-lines] ünï 👋",
        "[fragment print-lines] ünï 👋",
      ]);
      expect(printed).toContain("[fragment print-lines] … 19477 bytes of output dropped (the limit is 65536 bytes per call)");
    });
  });
}

describe("the languages agree with each other natively", () => {
  let all: Record<string, Results>;
  beforeAll(async () => {
    all = Object.fromEntries(await Promise.all(LANGUAGES.map(async (l) => [l, await reference(l)] as const)));
  });

  it("has at least two languages to compare", () => {
    expect(LANGUAGES.length).toBeGreaterThanOrEqual(2);
  });

  it.each(Object.keys(CASES))("%s", (id) => {
    const disagreements: string[] = [];
    CASES[id]!.forEach((args, index) => {
      const row = LANGUAGES.flatMap((lang) => {
        const k = casesFor(lang)[id]?.findIndex((c) => c.index === index) ?? -1;
        return k < 0 ? [] : [{ lang, line: normaliseForAgreement(lang, id, all[lang]![id]![k]!) }];
      });
      const [first, ...rest] = row;
      for (const r of rest) {
        if (!sameOutcome(id, r.line, first!.line)) {
          disagreements.push(`case #${index} ${args}: ${first!.lang} ${first!.line}, ${r.lang} ${r.line}`);
        }
      }
    });
    expect(disagreements, disagreements.join("\n")).toEqual([]);
  });

  it("agree on a few known values (a check on the references themselves)", () => {
    // [fragment, case index, the result, or the error code]; checked in every language that has the fragment.
    const known: Array<[string, number, string]> = [
      ["fib-u64", 3, "12200160415121876738"], // Fibonacci(93), the largest that fits
      ["add-i64", 1, "-9223372036854775808"],
      ["fib-u64", 4, "1293530146158671551"], // Fibonacci(94) mod 2^64
      ["div-f64", 3, '"NaN"'],
      ["utf8-len", 4, "8"],
      ["divide-checked", 2, "DCM_FRAGMENT_ERROR"],
      ["index-panic", 1, "DCM_FRAGMENT_PANIC"],
    ];
    for (const [id, index, want] of known) {
      const checked = LANGUAGES.filter((lang) => casesFor(lang)[id]);
      expect(checked.length, `no language has \`${id}\``).toBeGreaterThan(0);
      for (const lang of checked) {
        const line = all[lang]![id]![casesFor(lang)[id]!.findIndex((c) => c.index === index)]!;
        expect(want.startsWith("DCM_") ? errorCode(line) : line, `${lang} ${id} case #${index}`).toBe(want);
      }
    }
  });
});
