/**
 * End to end for the TypeScript adapter with the real esbuild: `dcm build`
 * of languages/typescript/fixtures/e2e/app (17 fragments), then each case
 * through `dcm invoke --on client` and `--on server`: both must print the
 * same canonical JSON, equal to calling the same TypeScript function
 * directly in Node (the fixture bundled for Node by esbuild, no dcm code in
 * between): NaN, -0, ±Infinity, int64 min/max, emoji, null, an Error throw,
 * a TypeError panic, a stack overflow and a thrown string; and the integer
 * width / float32 aliases (`type u64 = bigint`, `type u8 = number`, …):
 * Fibonacci(93) as a u64, a u8 wrap-around, an i32 out of range, f32 results.
 */
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import * as esbuild from "esbuild";
import { beforeAll, describe, expect, it } from "vitest";
import { errorJson, parseJsonArgs, toCanonicalJson } from "../../runtime/abi/json-values.js";
import type { Manifest } from "../../runtime/abi/manifest-types.js";
import { mapLimit, ROOT, runCli } from "../support/run-cli.js";

const APP = join(ROOT, "languages/typescript/fixtures/e2e/app");

interface Case {
  id: string;
  args: string;
  /** Arguments as TypeScript code passes them, when the JSON reading differs (an absent optional field). */
  native?: unknown[];
  /** The expected output when it is not what the direct call gives (a result that does not fit its type). */
  expected?: string;
}

const cases: Case[] = [
  { id: "add", args: "[1.5, 2.25]" },
  { id: "add", args: '["NaN", 1]' },
  { id: "add", args: "[-0, -0]" },
  { id: "add", args: '["Infinity", "-Infinity"]' },
  { id: "add", args: '[1e308, 1e308]' },
  { id: "mulBig", args: "[-9223372036854775808, 1]" },
  { id: "mulBig", args: "[9223372036854775807, -1]" },
  {
    id: "mulBig",
    args: "[9223372036854775807, 2]",
    expected: errorJson(
      "DCM_FRAGMENT_PANIC",
      "the result does not fit the declared type: result: 18446744073709551614 out of range for int<64,signed>",
    ),
  },
  { id: "divmod", args: "[-7, 2]" },
  { id: "divmod", args: "[1, 0]" },
  { id: "stats", args: "[3, -1, 2.5]" },
  { id: "stats", args: "[]" },
  { id: "sqrtPositive", args: "[2]" },
  { id: "sqrtPositive", args: "[-4]" },
  { id: "xorBytes", args: '["AQID/w==", 255]' },
  { id: "depth", args: "[100]" },
  { id: "depth", args: "[10000000]" },
  { id: "throwsString", args: "[0]" },
  { id: "throwsString", args: "[42]" },
  { id: "greet", args: '["🦄 Ünïcødé", true]' },
  { id: "greet", args: '["", null]' },
  { id: "countWords", args: '["b a 🍕 b c a b"]' },
  { id: "findUser", args: '[[{"id":"u1","name":"Ada","age":36,"tags":["x"]},{"id":"u2","name":"Bob","tags":[]}], "u2"]' },
  { id: "findUser", args: '[[], "u1"]' },
  {
    id: "describeUser",
    args: '[{"id":"u2","name":"Bob","tags":["a","b"]}]',
    native: [{ id: "u2", name: "Bob", tags: ["a", "b"] }],
  },
  { id: "describeUser", args: '[{"id":"u1","name":"Ada","age":36,"tags":[]}]' },
  { id: "nameLength", args: '[{"id":"u1","name":"Ada","tags":[]}]' },
  { id: "nameLength", args: "[null]" },
  { id: "fibU64", args: "[93]" },
  { id: "fibU64", args: "[94]" },
  { id: "wrapAddU8", args: "[200, 100]" },
  { id: "wrapAddU8", args: "[255, 1]" },
  { id: "absI32", args: "[-2147483647]" },
  {
    id: "absI32",
    args: "[-2147483648]",
    expected: errorJson(
      "DCM_FRAGMENT_PANIC",
      "the result does not fit the declared type: result: 2147483648 out of range for int<32,signed>",
    ),
  },
  { id: "scaleF32", args: "[0.1, 3]" },
  // A direct call returns the double 6e38; a float32 result is Infinity (the direct call's JSON would not say so).
  { id: "scaleF32", args: "[3e38, 2]", expected: '"Infinity"' },
];

let dist: string;
let manifest: Manifest;
let direct: Record<string, (...a: unknown[]) => unknown>;

const PANICS = new Set<unknown>([TypeError, RangeError, ReferenceError, SyntaxError, EvalError, URIError]);

/** A module's maps come back with keys in the value model's order (strings by UTF-8 bytes); a direct call's in insertion order. */
function sortedMaps(v: unknown): unknown {
  if (!(v instanceof Map)) return v;
  return new Map([...v].sort((a, b) => Buffer.compare(Buffer.from(String(a[0])), Buffer.from(String(b[0])))));
}

/** The outcome of calling the TypeScript function directly, as `dcm invoke` would print it. */
function directJson(c: Case): string {
  if (c.expected) return c.expected;
  const f = manifest.fragments.find((x) => x.id === c.id)!;
  const args = c.native ?? parseJsonArgs(c.args, f.signature!, manifest.types, c.id);
  try {
    const r = direct[f.symbol]!(...args);
    return toCanonicalJson(sortedMaps(r) as never, f.signature!.results, manifest.types);
  } catch (e) {
    if (e instanceof Error && PANICS.has(e.constructor)) return errorJson("DCM_FRAGMENT_PANIC", `${e.name}: ${e.message}`);
    if (e instanceof Error) return errorJson("DCM_FRAGMENT_ERROR", e.message);
    return errorJson("DCM_FRAGMENT_PANIC", `threw a non-Error value: ${JSON.stringify(e)}`);
  }
}

beforeAll(async () => {
  const scratch = await mkdtemp(join(tmpdir(), "dcm-ts-e2e-"));
  dist = join(scratch, "dist");
  const build = await runCli(["build", APP, "--cfd", join(APP, "dcm.yaml"), "--out", dist, "--json"], {
    env: { ...process.env, DCM_CACHE_DIR: join(scratch, "cache") },
  });
  expect(build.code, build.stderr).toBe(0);
  manifest = JSON.parse(await readFile(join(dist, "manifest.json"), "utf8")) as Manifest;

  // The fixture itself, bundled for Node: the reference the modules must agree with.
  const entry = join(scratch, "direct-entry.ts");
  await writeFile(entry, ["calc", "text", "sized"].map((f) => `export * from ${JSON.stringify(join(APP, `src/${f}.ts`))};\n`).join(""));
  const out = join(scratch, "direct.mjs");
  await esbuild.build({ entryPoints: [entry], bundle: true, format: "esm", platform: "node", outfile: out, logLevel: "silent" });
  direct = (await import(pathToFileURL(out).href)) as typeof direct;
});

describe("dcm build of TypeScript fragments", () => {
  it("writes one js module for both sides, with every fragment", () => {
    expect(manifest.modules).toEqual([
      expect.objectContaining({ language: "typescript", target: "js", file: "client/typescript.js", sides: ["client", "server"] }),
    ]);
    expect(manifest.modules[0]!.fragments).toHaveLength(17);
    expect(manifest.fragments.every((f) => f.language === "typescript" && f.export?.startsWith("dcm_f_"))).toBe(true);
    expect(Object.keys(manifest.types).sort()).toEqual(["Stats", "User"]);
  });

  it("gives the same canonical JSON on the client, on the server and in a direct call", async () => {
    const runs = await mapLimit(cases, 2, async (c) => {
      const [client, server] = await Promise.all(
        (["client", "server"] as const).map((on) => runCli(["invoke", dist, c.id, "--args", c.args, "--on", on])),
      );
      return { c, client: client.stdout.trim() || client.stderr.trim(), server: server.stdout.trim() || server.stderr.trim() };
    });
    for (const { c, client, server } of runs) {
      const label = `${c.id} ${c.args}`;
      expect(client, label).toBe(server);
      expect(client, label).toBe(directJson(c));
    }
    // A few outputs spelled out, so that agreement is not agreement on something wrong.
    const out = (id: string, args: string) => runs.find((r) => r.c.id === id && r.c.args === args)!.client;
    expect(out("add", '["NaN", 1]')).toBe('"NaN"');
    expect(out("add", "[-0, -0]")).toBe("-0");
    expect(out("add", '["Infinity", "-Infinity"]')).toBe('"NaN"');
    expect(out("add", "[1e308, 1e308]")).toBe('"Infinity"');
    expect(out("mulBig", "[-9223372036854775808, 1]")).toBe("-9223372036854775808");
    expect(out("greet", '["🦄 Ünïcødé", true]')).toBe('"Hello, 🦄 Ünïcødé! 👋"');
    expect(out("findUser", '[[], "u1"]')).toBe("null");
    expect(out("describeUser", '[{"id":"u2","name":"Bob","tags":["a","b"]}]')).toBe('"Bob (age unknown, 2 tags)"');
    expect(JSON.parse(out("sqrtPositive", "[-4]"))).toEqual({
      error: { code: "DCM_FRAGMENT_ERROR", message: "expected a positive number, got -4" },
    });
    expect(JSON.parse(out("nameLength", "[null]")).error.code).toBe("DCM_FRAGMENT_PANIC");
    expect(JSON.parse(out("depth", "[10000000]")).error.message).toMatch(/^RangeError: Maximum call stack/);
    expect(out("fibU64", "[93]")).toBe("12200160415121876738");
    expect(out("fibU64", "[94]")).toBe("1293530146158671551");
    expect(out("wrapAddU8", "[200, 100]")).toBe("44");
    expect(out("scaleF32", "[0.1, 3]")).toBe("0.3");
    expect(JSON.parse(out("throwsString", "[42]")).error).toEqual({
      code: "DCM_FRAGMENT_PANIC",
      message: 'threw a non-Error value: "code 42"',
    });
  });

  it.each([
    ["add", '["x", 1]'],
    ["absI32", "[2147483648]"],
    ["wrapAddU8", "[256, 0]"],
    ["fibU64", "[-1]"],
  ])("reports bad arguments the same way on both sides: %s %s", async (id, args) => {
    const [client, server] = await Promise.all(
      (["client", "server"] as const).map((on) => runCli(["invoke", dist, id, "--args", args, "--on", on])),
    );
    expect(client.stdout + client.stderr).toContain("DCM_BAD_ARGUMENTS");
    expect(client.stdout + client.stderr).toBe(server.stdout + server.stderr);
  });
});
