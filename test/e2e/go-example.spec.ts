/**
 * End to end on the example app with the real Go toolchain: `dcm build`, then
 * every case of every fragment through `dcm invoke --on client` (WASM) and
 * `--on server` (native plugin), each compared with the same Go function run
 * natively by a generated harness.
 */
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { Manifest } from "../../runtime/abi/manifest-types.js";
import { analyzeProject } from "../../src/build/analyze-project.js";
import { openDist } from "../../src/index.js";
import { pathToFileURL } from "node:url";
import type { GoFragmentDetail } from "../../languages/go/go-types.js";
import { canonicalEqual, parseInvokeCases, runGoNative } from "./harness/go-native-harness.js";
import { mapLimit, ROOT, runCli } from "../support/run-cli.js";

const EXAMPLE = join(ROOT, "examples/go-shop");
const CFD = join(EXAMPLE, "dcm.yaml");
const cases = JSON.parse(readFileSync(join(EXAMPLE, "invoke-cases.json"), "utf8")) as Record<string, unknown[][]>;
// Keep each case's raw JSON text: re-serialising through JSON.parse would round big integers.
const rawCases = parseInvokeCases(readFileSync(join(EXAMPLE, "invoke-cases.json"), "utf8"));

let dist: string;
let manifest: Manifest;
let expected: Record<string, string[]>;

beforeAll(async () => {
  dist = join(await mkdtemp(join(tmpdir(), "dcm-e2e-")), "dist");
  const build = await runCli(["build", EXAMPLE, "--cfd", CFD, "--out", dist, "--json"]);
  expect(build.stderr + build.stdout).toContain('"ok": true');
  manifest = JSON.parse(await readFile(join(dist, "manifest.json"), "utf8")) as Manifest;
  const analysis = await analyzeProject(EXAMPLE, CFD);
  const fragments = analysis.languages.flatMap(({ result }) =>
    result.fragments.filter((f) => f.signature).map((f) => ({ id: f.id, detail: f.detail as GoFragmentDetail })),
  );
  expected = await runGoNative(EXAMPLE, fragments, rawCases);
});

describe("examples/go-shop on both sides equals native Go", () => {
  it("builds one client WASM module and one native plugin holding every callable fragment", () => {
    const callable = manifest.fragments.filter((f) => f.signature).map((f) => f.id).sort();
    const wasm = manifest.modules.find((m) => m.target === "wasm");
    const native = manifest.modules.find((m) => m.target === "native");
    expect(wasm?.file).toBe("client/go.wasm");
    expect(native?.file).toBe("server/go.so");
    expect([...wasm!.fragments].sort()).toEqual(callable);
    expect([...native!.fragments].sort()).toEqual(callable);
    expect(existsSync(join(dist, "fragments.d.ts"))).toBe(true);
    // Every callable fragment of the example has cases, so nothing goes unchecked.
    expect(Object.keys(cases).sort()).toEqual(callable);
  });

  it("serves typed stubs that call through the in-process API on either side", async () => {
    const dcm = await openDist(dist);
    try {
      const stubs = await import(pathToFileURL(join(dist, "fragments.js")).href);
      for (const on of ["client", "server"] as const) {
        const f = stubs.bindFragments((id: string, args: unknown[]) => dcm.call(id, args as never, { on }));
        expect(await f.GetHash("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        expect(await f.Fibonacci(93)).toBe(12200160415121876738n);
        expect(await f.Add(2n, 3n)).toBe(5n);
      }
      // After one awaited call has loaded each module, both sides also answer synchronously.
      expect(dcm.callSync("6", [40n, 2n], { on: "client" })).toBe(42n);
      expect(dcm.callSync("6", [40n, 2n], { on: "server" })).toBe(42n);
      const dts = await readFile(join(dist, "fragments.d.ts"), "utf8");
      expect(dts).toContain("GetHash(s: string): Promise<string>;");
    } finally {
      await dcm.close();
    }
  });

  it.each(Object.keys(rawCases))("fragment %s", async (id) => {
    const list = rawCases[id]!;
    const runs = list.flatMap((args, i) => (["client", "server"] as const).map((on) => ({ args, i, on })));
    const results = await mapLimit(runs, 2, async ({ args, i, on }) => {
      const r = await runCli(["invoke", dist, id, "--args", args, "--on", on]);
      return { i, on, args, ...r };
    });
    for (const r of results) {
      const want = expected[id]![r.i]!;
      const got = r.stdout.trim();
      expect(canonicalEqual(got, want), `${id} ${r.args} --on ${r.on}: got ${got}, native Go gave ${want}; stderr: ${r.stderr}`).toBe(true);
      // Errors and panics exit non-zero, values exit zero.
      expect(r.code, `${id} ${r.args} --on ${r.on}`).toBe(want.startsWith('{"error"') ? 1 : 0);
    }
  });
});
