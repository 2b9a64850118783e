/**
 * AssemblyScript end to end with the real asc: `dcm build` of the fixture
 * project languages/assemblyscript/fixtures/app, then `dcm invoke --on client`
 * and `--on server` give the same canonical JSON (and the expected one) for
 * edge values; a throw and a runtime error come back as typed errors and the
 * module stays usable in the same process (openDist); a few results match
 * what AssemblyScript's own `--bindings esm` glue returns for the same
 * function.
 */
import { execFile } from "node:child_process";
import { cp, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDist } from "../../src/index.js";
import { mapLimit, ROOT, runCli } from "../support/run-cli.js";

const APP = join(ROOT, "languages/assemblyscript/fixtures/app");
let scratch: string;
let repo: string;
let out: string;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "dcm-as-e2e-"));
  repo = join(scratch, "app");
  out = join(scratch, "dist");
  await cp(APP, repo, { recursive: true });
  const env = { ...process.env, DCM_CACHE_DIR: join(scratch, "cache") };
  const r = await runCli(["build", repo, "--cfd", join(repo, "dcm.yaml"), "--out", out, "--json"], { env });
  expect(r.code, r.stderr).toBe(0);
}, 180_000);

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

const EMP = { name: "Ann", age: 30, salary: 1000, tags: ["a"], manager: null, home: { x: 3, y: 4 } };

/** [fragment, args, expected canonical JSON]. */
const CASES: Array<[string, unknown[], string]> = [
  ["add", [2147483647, 1], "-2147483648"],
  ["addI64", ["9223372036854775807", 1], "-9223372036854775808"],
  ["addI64", ["-9223372036854775808", -1], "9223372036854775807"],
  ["maxU64", [], "18446744073709551615"],
  ["mulF", ["NaN", 1], '"NaN"'],
  ["mulF", ["-0", 1], "-0"],
  ["mulF", ["Infinity", -1], '"-Infinity"'],
  ["negF32", [0.1], "-0.1"],
  ["isEven", [4294967294], "true"],
  ["greet", ["😀 e\u0301"], JSON.stringify("Hello, 😀 e\u0301!")],
  ["strLen", ["😀"], "2"],
  // Reversing UTF-16 units splits the surrogate pair: lone surrogates reach the wire as U+FFFD.
  ["reverse", ["a😀"], JSON.stringify("\uFFFD\uFFFDa")],
  ["sum", [["9223372036854775807", 1]], "-9223372036854775808"],
  ["sortNums", [[3, "-0", "NaN", "-Infinity"]], '["-Infinity",-0,3,"NaN"]'],
  ["bytesRev", ["AQID"], '"AwIB"'],
  ["ints", [3], "[-3,-2,1]"],
  ["fixed", [], "[1,65535,7]"],
  ["counts", [["é", "b", "a", "b", "😀", "\uFFFF"]], '{"a":1,"b":2,"é":1,"\uFFFF":1,"😀":1}'],
  ["byId", [{ "18446744073709551615": "max" }, "18446744073709551615"], '"max"'],
  ["byId", [{}, 1], "null"],
  ["maybeName", [null], '"nobody"'],
  [
    "promote",
    [EMP, "Bob"],
    JSON.stringify({
      ...EMP,
      salary: 1100,
      tags: ["a", "promoted"],
      manager: { name: "Bob", age: 40, salary: 0, tags: [], manager: null, home: { x: 0, y: 0 } },
    }),
  ],
  ["raise", [EMP, 10], "1100"],
  ["nothing", [], "null"],
  ["fail", ["x"], '{"error":{"code":"DCM_FRAGMENT_ERROR","message":"failed: x"}}'],
  ["failScalar", [2], "2"],
  // A throw in a scalar fragment: the status cell's frame says status 1, the fragment's error.
  ["failScalar", [-3], '{"error":{"code":"DCM_FRAGMENT_ERROR","message":"negative: -3"}}'],
];

async function invoke(id: string, args: unknown[], on: "client" | "server"): Promise<string> {
  const r = await runCli(["invoke", out, id, "--args", JSON.stringify(args), "--on", on]);
  return (r.stdout || r.stderr).trim();
}

describe("dcm build + invoke (AssemblyScript)", () => {
  it("builds one wasm module for both sides, small and import-free", async () => {
    const manifest = JSON.parse(await readFile(join(out, "manifest.json"), "utf8"));
    const mods = manifest.modules.filter((m: { language: string }) => m.language === "assemblyscript");
    expect(mods).toHaveLength(1);
    expect(mods[0].target).toBe("wasm");
    expect(mods[0].sides).toEqual(["client", "server"]);
    expect(mods[0].size).toBeLessThan(100 * 1024);
    const mod = new WebAssembly.Module(await readFile(join(out, mods[0].file)));
    expect(WebAssembly.Module.imports(mod)).toEqual([]);
  });

  it("client and server give identical canonical JSON for edge values", async () => {
    const results = await mapLimit(CASES, 2, async ([id, args]) => ({
      client: await invoke(id, args, "client"),
      server: await invoke(id, args, "server"),
    }));
    CASES.forEach(([id, args, expected], i) => {
      const r = results[i]!;
      expect(r.client, `${id} ${JSON.stringify(args)} client`).toBe(expected);
      expect(r.server, `${id} ${JSON.stringify(args)} server`).toBe(r.client);
    });
  }, 180_000);

  it("an out-of-range index is DCM_FRAGMENT_PANIC on both sides", async () => {
    for (const on of ["client", "server"] as const) {
      const e = JSON.parse(await invoke("at", [[1, 2, 3], 5], on));
      expect(e.error.code).toBe("DCM_FRAGMENT_PANIC");
      expect(e.error.message).toMatch(/^Index out of range at ~lib\/array\.ts:\d+:\d+$/);
    }
  }, 60_000);

  it("the module stays usable after a throw and a panic (same process)", async () => {
    const dist = await openDist(out);
    try {
      for (const on of ["client", "server"] as const) {
        await expect(dist.call("fail", ["boom"], { on })).rejects.toMatchObject({
          code: "DCM_FRAGMENT_ERROR",
          message: "failed: boom",
        });
        expect(await dist.call("add", [1, 2], { on })).toBe(3);
        await expect(dist.call("at", [[1], 9], { on })).rejects.toMatchObject({ code: "DCM_FRAGMENT_PANIC" });
        expect(await dist.call("greet", ["ok"], { on })).toBe("Hello, ok!");
        await expect(dist.call("at", [[1], -1], { on })).rejects.toMatchObject({ code: "DCM_FRAGMENT_PANIC" });
        expect(await dist.call("addI64", [2n, 3n], { on })).toBe(5n);
      }
    } finally {
      await dist.close();
    }
  });
});

describe("parity with AssemblyScript's own --bindings esm glue", () => {
  it("returns the same values for the same functions", async () => {
    const ref = join(scratch, "ref");
    const asc = join(ROOT, "node_modules/assemblyscript/bin/asc.js");
    await promisify(execFile)(
      process.execPath,
      [asc, join(repo, "assembly/index.ts"), "-O3", "--bindings", "esm", "--outFile", join(ref, "ref.wasm")],
      { cwd: repo },
    );
    const m = (await import(pathToFileURL(join(ref, "ref.js")).href)) as Record<string, (...a: unknown[]) => unknown>;
    const dist = await openDist(out);
    try {
      const calls: Array<[string, unknown[]]> = [
        ["add", [2147483647, 1]],
        ["addI64", [9223372036854775807n, 1n]],
        ["maxU64", []],
        ["mulF", [Number.NaN, 1]],
        ["mulF", [-0, 1]],
        ["negF32", [0.1]],
        ["isEven", [7]],
        ["greet", ["😀 e\u0301"]],
        ["strLen", ["😀"]],
        ["sum", [[1n, 2n, -3n]]],
        ["sortNums", [[3, -0, Number.NaN, 1]]],
      ];
      for (const [id, args] of calls) {
        const theirs = m[id]!(...args);
        for (const on of ["client", "server"] as const) {
          const ours = await dist.call(id, args as never[], { on });
          expect(ours, `${id} on ${on}`).toEqual(theirs);
        }
      }
    } finally {
      await dist.close();
    }
  }, 120_000);
});
