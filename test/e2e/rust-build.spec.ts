/**
 * End to end with the real cargo: `dcm build` of the Rust fixture crate
 * (languages/rust/fixtures/app), then the same cases through `dcm invoke
 * --batch` on the client (wasm32), on the server (native cdylib) and on the
 * server's wasm path: identical canonical JSON everywhere, equal to the
 * values Rust computes (written out below).
 *
 * The default build takes the wasm-bindgen path when wasm-bindgen-cli is
 * installed (the client module then loads through its glue); a second build
 * with DCM_RUST_BINDGEN=0 keeps the plain `extern "C"` path covered.
 */
import { writeFileSync } from "node:fs";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import type { Manifest } from "../../runtime/abi/manifest-types.js";
import { wasmBindgenToolchain } from "../../languages/rust/toolchain/wasm-bindgen-tools.js";
import { ROOT, runCli } from "../support/run-cli.js";

const APP = join(ROOT, "languages/rust/fixtures/app");

// [fragment, args (JSON text), expected output line]
const CASES: Array<[string, string, string]> = [
  ["add", "[2147483647, 1]", "-2147483648"],
  ["extremes", '["-9223372036854775808", 18446744073709551615]', "[-9223372036854775808,18446744073709551615,-9223372036854775808,18446744073709551615]"],
  ["extremes", "[9223372036854775807, 0]", "[9223372036854775807,0,-9223372036854775808,18446744073709551615]"],
  ["floats", '["Infinity", "-Infinity"]', '["Infinity","-Infinity",-0,"NaN"]'],
  ["floats", '["-0", 0.1]', '[-0,0.1,-0,"NaN"]'],
  ["neg_zero", "[]", "-0"],
  ["greet", '["🌍 wörld"]', '"hello, 🌍 wörld! 👋"'],
  ["maybe", "[null]", "null"],
  ["maybe", "[7]", '"21"'],
  ["divide", "[7, 2]", "3"],
  ["divide", "[1, 0]", '{"error":{"code":"DCM_FRAGMENT_ERROR","message":"division by zero"}}'],
  ["boom", '["x"]', '{"error":{"code":"DCM_FRAGMENT_PANIC","message":"boom: x"}}'],
  ["add", "[1, 2]", "3"],
  ["boom_scalar", "[3]", '{"error":{"code":"DCM_FRAGMENT_PANIC","message":"scalar boom 3"}}'],
  ["boom_scalar", "[-5000]", "-1000"],
  ["tally", '[["b", "a", "b", "🦀"]]', '{"a":1,"b":2,"🦀":1}'],
  ["lengths", '[{"z": "AAE=", "a": ""}]', "[0,2]"],
  ["reverse_bytes", '["AQID"]', '"AwIB"'],
  ["matrix", "[[[1, -2], [3, 32767]]]", "[1,-2,3,32767]"],
  [
    "mirror",
    '[{"x": 1.5, "y": -2, "colour": "Blue", "next": {"x": 0, "y": 0, "colour": "green", "next": null}}]',
    '{"x":-1.5,"y":2,"colour":"Blue","next":{"x":0,"y":0,"colour":"green","next":null}}',
  ],
  ["next_color", '["Blue"]', '"Red"'],
  ["next_color", '["Purple"]', '{"error":{"code":"DCM_BAD_ARGUMENTS","message":"c: unknown Color variant \\"Purple\\" (expected one of: Red, green, Blue)"}}'],
  ["format_u64", "[18446744073709551615]", '"18446744073709551615"'],
  ["small", "[-128, 255, -32768, 65535, true]", "32894"],
  ["flags", "[[true, false], 4294967295]", "[[true,false],4294967295,255]"],
  ["secret", "[21]", "42"],
  ["counter_new", '["c"]', '{"count":0,"label":"c","tags":null}'],
  ["counter_label", '[{"count": 1, "label": "lbl", "tags": ["t"]}]', '"lbl"'],
  ["counter_bump", '[{"count": 1, "label": "x"}, 2]', "3"],
  ["counter_bump", '[{"count": 18446744073709551615, "label": "x"}, 1]', '{"error":{"code":"DCM_FRAGMENT_PANIC","message":"counter overflow"}}'],
  ["counter_parts", '[{"count": 9, "label": "é"}]', '["é",9]'],
  ["greet", '["after the panics"]', '"hello, after the panics! 👋"'],
];

let dist: string;
let plain: string;
let batch: string;
let bindgen: string | undefined;

beforeAll(async () => {
  bindgen = (await wasmBindgenToolchain.tools())?.version;
  const scratch = await mkdtemp(join(tmpdir(), "dcm-rust-e2e-"));
  dist = join(scratch, "dist");
  plain = join(scratch, "plain");
  const build = await runCli(["build", APP, "--cfd", join(APP, "dcm.yaml"), "--out", dist, "--json"]);
  expect(build.code, build.stderr + build.stdout).toBe(0);
  const env = { ...process.env, DCM_RUST_BINDGEN: "0" };
  const plainBuild = await runCli(["build", APP, "--cfd", join(APP, "dcm.yaml"), "--out", plain, "--json"], { env });
  expect(plainBuild.code, plainBuild.stderr + plainBuild.stdout).toBe(0);
  batch = join(scratch, "cases");
}, 900_000);

async function runAll(extra: string[], on = dist): Promise<string[]> {
  // One process for all cases, so a call after a panic runs on the same (re-instantiated) module.
  const file = `${batch}-all.json`;
  // Keys repeat in this object; the batch reader keeps every entry in file order.
  writeFileSync(file, `{${CASES.map(([id, args]) => `${JSON.stringify(id)}: [${args}]`).join(",\n")}}`);
  const r = await runCli(["invoke", on, "--batch", file, ...extra]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.trimEnd().split("\n");
}

const sizes = async (file: string) => {
  const bytes = await readFile(file);
  return `${bytes.length} B raw, ${gzipSync(bytes).length} B gzip`;
};

describe("rust: dcm build + invoke", () => {
  it("writes a wasm client module (wasm-bindgen's when installed), small, and a native server module", async () => {
    const manifest = JSON.parse(await readFile(join(dist, "manifest.json"), "utf8")) as Manifest;
    const mods = manifest.modules.filter((m) => m.language === "rust").map((m) => `${m.target}:${m.file}`);
    expect(mods.sort()).toEqual(["native:server/rust.so", "wasm:client/rust.wasm"]);
    const client = manifest.modules.find((m) => m.target === "wasm")!;
    const wasm = await readFile(join(dist, "client/rust.wasm"));
    const imports = WebAssembly.Module.imports(new WebAssembly.Module(wasm));
    if (bindgen) {
      expect(client.glue?.file).toBe("client/rust-glue.mjs");
      expect(client.toolchain).toContain(`wasm-bindgen ${bindgen}`);
      // wasm-bindgen's own imports only, all from its _bg.js (which the glue carries).
      expect(imports.length).toBeGreaterThan(0);
      for (const i of imports) expect(i.module).toBe("./dcm_module_bg.js");
      const glue = await readFile(join(dist, "client/rust-glue.mjs"), "utf8");
      expect(glue).not.toMatch(/from\s*["']node:|require\(/);
      console.log(`rust e2e fixture, wasm-bindgen ${bindgen}: module ${await sizes(join(dist, "client/rust.wasm"))}; glue ${await sizes(join(dist, "client/rust-glue.mjs"))}`);
    } else {
      expect(client.glue).toBeUndefined();
      expect(imports).toEqual([]);
    }
    expect(gzipSync(wasm).length).toBeLessThan(100 * 1024);
    expect(manifest.fragments.find((f) => f.id === "add")).toMatchObject({ abi: "scalar", export: "dcm_f_add" });
    expect(manifest.types.Point?.fields.map((f) => f.jsonName)).toEqual(["x", "y", "colour", "next"]);
  });

  it("DCM_RUST_BINDGEN=0 builds the plain extern \"C\" module: no glue, no imports, same results", async () => {
    const manifest = JSON.parse(await readFile(join(plain, "manifest.json"), "utf8")) as Manifest;
    const client = manifest.modules.find((m) => m.target === "wasm")!;
    expect(client.glue).toBeUndefined();
    expect(client.toolchain).toMatch(/wasm32-unknown-unknown/);
    expect(client.toolchain).not.toContain("wasm-bindgen");
    const wasm = await readFile(join(plain, "client/rust.wasm"));
    expect(WebAssembly.Module.imports(new WebAssembly.Module(wasm))).toEqual([]);
    expect(gzipSync(wasm).length).toBeLessThan(100 * 1024);
    console.log(`rust e2e fixture, plain: module ${await sizes(join(plain, "client/rust.wasm"))}`);
    const expected = CASES.map((c) => c[2]);
    expect(await runAll(["--on", "client"], plain)).toEqual(expected);
    expect(await runAll(["--on", "server", "--target", "wasm"], plain)).toEqual(expected);
  }, 120_000);

  it("gives the same canonical JSON on the client, the server and the server's wasm path", async () => {
    const expected = CASES.map((c) => c[2]);
    const client = await runAll(["--on", "client"]);
    expect(client).toEqual(expected);
    const server = await runAll(["--on", "server"]);
    expect(server).toEqual(expected);
    const serverWasm = await runAll(["--on", "server", "--target", "wasm"]);
    expect(serverWasm).toEqual(expected);
  }, 120_000);

  it("single invokes agree with the batch", async () => {
    const r = await runCli(["invoke", dist, "extremes", "--args", CASES[1]![1], "--on", "client"]);
    expect(r.stdout.trim()).toBe(CASES[1]![2]);
    const s = await runCli(["invoke", dist, "divide", "--args", "[1, 0]", "--on", "server"]);
    expect(s.stdout.trim()).toBe(CASES[10]![2]);
  });
});
