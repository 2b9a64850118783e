/**
 * `dcm build`, `dcm analyze` and `dcm validate` on a language's common
 * state fixture (notes: fixture contract of issue 12) with the real
 * toolchain: the manifest's groups are the three the contract names, their
 * records are in `types`, their members are `flags.stateful`, the
 * accessors are nowhere a client could call them, and — loaded the way
 * hosts load a module (runtime/abi/state-accessors.ts `loadFragments`) —
 * the accessor exports the manifest names move a group's state from the
 * server's native plugin into the browser's wasm module. The refusal
 * fixture fails with DCM_STATE_NOT_ENCODABLE at the variable.
 *
 * Go is the language here (the first to generate accessors); the language
 * parts' own e2e specs cover theirs. A CFD group across Go and
 * AssemblyScript checks the one-part-per-language case with both real
 * generators.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { goToolchain } from "../../languages/go/toolchain/go-toolchain.js";
import type { JsValue } from "../../runtime/abi/js-values.js";
import type { Manifest } from "../../runtime/abi/manifest-types.js";
import type { FragmentInstance, ModuleLoader } from "../../runtime/abi/module-types.js";
import { isAccessorId, loadFragments } from "../../runtime/abi/state-accessors.js";
import { ABI_GLUE } from "../../src/languages/runtime-glue.js";
import { ROOT, runCli } from "../support/run-cli.js";

const haveGo = (await goToolchain.detect()) !== null;
const STATE = join(ROOT, "languages/go/fixtures/state");
const REFUSED = join(ROOT, "languages/go/fixtures/state-refused");

describe.skipIf(!haveGo)("dcm build of Go's state fixture", () => {
  let scratch: string;
  let out: string;
  let manifest: Manifest;
  const instances: FragmentInstance[] = [];

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), "dcm-state-build-"));
    out = join(scratch, "dist");
    const r = await runCli(["build", STATE, "--cfd", join(STATE, "dcm.yaml"), "--out", out, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    manifest = JSON.parse(await readFile(join(out, "manifest.json"), "utf8")) as Manifest;
  });

  afterAll(async () => {
    for (const i of instances) i.close();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it("writes the fixture's three groups with their state, records and accessor exports", () => {
    const groups = manifest.groups ?? [];
    expect(groups.map((g) => [g.id, g.fragments, g.reasons])).toEqual([
      ["group-blob-put", ["blob-put", "blob-size"], ["state"]],
      ["group-counter-add", ["counter-add", "counter-get"], ["state"]],
      ["group-log-append", ["log-append", "log-join"], ["state"]],
    ]);
    const counter = groups[1]!.state;
    expect(counter).toHaveLength(1);
    expect(counter[0]!.language).toBe("go");
    expect(counter[0]!.vars).toEqual([
      { name: "total", unit: "example.com/statefix/tally", field: "total", source: { file: "tally/counter.go", line: 10 } },
    ]);
    expect(counter[0]!.get.id).toBe("$state.group-counter-add.get");
    expect(counter[0]!.set.id).toBe("$state.group-counter-add.set");
    for (const g of groups) {
      const part = g.state[0]!;
      expect(g.stateVersion).toMatch(/^[0-9a-f]{64}$/);
      expect(manifest.types[part.record]?.fields.map((f) => f.name)).toEqual(part.vars.map((v) => v.field));
      expect(part.get.export).toMatch(/^dcm_state_get_\d+$/);
    }
    expect(new Set(groups.map((g) => g.stateVersion)).size).toBe(3);
  });

  it("marks the groups' members stateful, leaves the pure fragment alone, and lists no accessor as a fragment", () => {
    const flags = Object.fromEntries(manifest.fragments.map((f) => [f.id, f.flags.stateful]));
    expect(flags).toEqual({
      "blob-put": true,
      "blob-size": true,
      "counter-add": true,
      "counter-get": true,
      "log-append": true,
      "log-join": true,
      "pure-double": false,
    });
    expect(manifest.fragments.some((f) => isAccessorId(f.id))).toBe(false);
    expect(manifest.modules.flatMap((m) => m.fragments).some(isAccessorId)).toBe(false);
  });

  it("keeps the accessors out of the typed stubs", async () => {
    const js = await readFile(join(out, "fragments.js"), "utf8");
    const dts = await readFile(join(out, "fragments.d.ts"), "utf8");
    expect(dts).toContain("CounterAdd(n: bigint)");
    expect(dts).toContain("interface Journal");
    for (const text of [js, dts]) expect(text).not.toMatch(/\$state|dcm_state_|DcmState/);
  });

  it("moves the counter from the server's plugin to the client's wasm module through the manifest's accessors", async () => {
    const load = async (target: "wasm" | "native"): Promise<FragmentInstance> => {
      const module = manifest.modules.find((m) => m.target === target)!;
      const glue = (await import(ABI_GLUE[target]!)) as { default: ModuleLoader };
      const file = join(out, module.file);
      const inst = await glue.default.load({
        module,
        ...(target === "wasm" ? { bytes: await readFile(file) } : { path: file }),
        fragments: loadFragments(manifest, module),
        types: manifest.types,
      });
      instances.push(inst);
      return inst;
    };
    const server = await load("native");
    const client = await load("wasm");
    const call = async (i: FragmentInstance, id: string, args: JsValue[] = []) => await i.call(id, args);
    const group = manifest.groups!.find((g) => g.id === "group-counter-add")!.state[0]!;

    await call(server, "counter-add", [40n]);
    expect(await call(server, "counter-add", [2n])).toBe(42n);
    expect(await call(client, "counter-get")).toBe(0n);
    const snapshot = await call(server, group.get.id);
    expect(snapshot).toEqual({ total: 42n });
    await call(client, group.set.id, [snapshot]);
    expect(await call(client, "counter-get")).toBe(42n);
    expect(await call(client, "counter-add", [1n])).toBe(43n);
    // The other groups did not move.
    expect(await call(client, "log-join")).toBe("");
  });
});

describe.skipIf(!haveGo)("state that cannot move", () => {
  it("`dcm build` and `dcm validate` refuse the channel at its declaration, naming the fragment and the fixes", async () => {
    const scratch = await mkdtemp(join(tmpdir(), "dcm-state-refused-"));
    try {
      const b = await runCli(["build", REFUSED, "--cfd", join(REFUSED, "dcm.yaml"), "--out", join(scratch, "dist")]);
      expect(b.code).not.toBe(0);
      expect(b.stderr).toMatch(/notify[/\\]notify\.go:7:2: error DCM_STATE_NOT_ENCODABLE: .*`queue`.*`notify`/);
      expect(b.stderr).toContain("stateful: false");
      const v = await runCli(["validate", join(REFUSED, "dcm.yaml"), "--repo", REFUSED]);
      expect(v.code).toBe(1);
      expect(v.stderr).toMatch(/notify\.go:7:2: error DCM_STATE_NOT_ENCODABLE/);
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  });
});

describe("dcm analyze and validate show the groups", () => {
  it("lists each group, its fragments and its variables with file:line and type", async () => {
    const human = await runCli(["analyze", STATE, "--cfd", join(STATE, "dcm.yaml")]);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/group group-counter-add\t\(state\)\tmoves together: counter-add, counter-get\n\tstate: total: int<64,signed>\tgo example\.com\/statefix\/tally\t.*tally\/counter\.go:10\n/);
    const json = JSON.parse((await runCli(["analyze", STATE, "--cfd", join(STATE, "dcm.yaml"), "--json"])).stdout);
    expect(json.groups.map((g: { id: string }) => g.id)).toEqual(["group-blob-put", "group-counter-add", "group-log-append"]);
    expect(json.groups[2].state[0]).toMatchObject({ name: "journal", language: "go", type: "record Journal" });
    const v = await runCli(["validate", join(STATE, "dcm.yaml"), "--repo", STATE]);
    expect(v.code, v.stderr).toBe(0);
    expect(v.stderr).toContain("3 state group(s): group-blob-put [blob-put, blob-size]; group-counter-add [counter-add, counter-get];");
  });
});

describe.skipIf(!haveGo)("a CFD group across two languages (Go and AssemblyScript)", () => {
  let scratch: string;
  const instances: FragmentInstance[] = [];
  afterAll(async () => {
    for (const i of instances) i.close();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it("has one state part per language, and each part's accessors move that language's state", async () => {
    scratch = await mkdtemp(join(tmpdir(), "dcm-state-mixed-"));
    const repo = join(scratch, "repo");
    await cp(STATE, repo, { recursive: true });
    await cp(join(ROOT, "languages/assemblyscript/fixtures/state/assembly"), join(repo, "assembly"), { recursive: true });
    await writeFile(
      join(repo, "dcm.yaml"),
      [
        "fragments:",
        "  - { id: go-add, name: CounterAdd, runOn: server, group: tally, location: { filepath: tally/counter.go } }",
        "  - { id: go-get, name: CounterGet, runOn: client, location: { filepath: tally/counter.go } }",
        "  - { id: as-add, name: counterAdd, runOn: server, group: tally, location: { filepath: assembly/counter.ts } }",
        "  - { id: as-get, name: counterGet, runOn: client, location: { filepath: assembly/counter.ts } }",
        "",
      ].join("\n"),
    );
    const out = join(scratch, "dist");
    const r = await runCli(["build", repo, "--cfd", join(repo, "dcm.yaml"), "--out", out]);
    expect(r.code, r.stderr).toBe(0);
    const manifest = JSON.parse(await readFile(join(out, "manifest.json"), "utf8")) as Manifest;
    expect(manifest.groups?.map((g) => [g.id, g.fragments, g.reasons])).toEqual([
      ["tally", ["as-add", "as-get", "go-add", "go-get"], ["state", "cfd"]],
    ]);
    const parts = manifest.groups![0]!.state;
    expect(parts.map((p) => [p.language, p.get.id, p.set.id])).toEqual([
      ["assemblyscript", "$state.tally.assemblyscript.get", "$state.tally.assemblyscript.set"],
      ["go", "$state.tally.go.get", "$state.tally.go.set"],
    ]);

    // Each language's wasm module (the client's) holds its own part's accessors only.
    const load = async (language: string): Promise<FragmentInstance> => {
      const module = manifest.modules.find((m) => m.language === language && m.target === "wasm")!;
      const glue = (await import(ABI_GLUE.wasm!)) as { default: ModuleLoader };
      const inst = await glue.default.load({
        module,
        bytes: await readFile(join(out, module.file)),
        fragments: loadFragments(manifest, module),
        types: manifest.types,
      });
      instances.push(inst);
      return inst;
    };
    for (const [language, prefix] of [
      ["go", "go"],
      ["assemblyscript", "as"],
    ] as const) {
      const part = parts.find((p) => p.language === language)!;
      const from = await load(language);
      const to = await load(language);
      from.call(`${prefix}-add`, [5n]);
      expect(from.call(`${prefix}-add`, [6n])).toBe(11n);
      const snapshot = from.call(part.get.id, []);
      expect(snapshot).toEqual({ total: 11n });
      expect(to.call(`${prefix}-get`, [])).toBe(0n);
      to.call(part.set.id, [snapshot]);
      expect(to.call(`${prefix}-get`, [])).toBe(11n);
      const other = parts.find((p) => p.language !== language)!;
      expect(() => to.call(other.get.id, [])).toThrow();
    }
  });
});
