/**
 * Golden files for the generated JS stubs and .d.ts (one walker emits both).
 * Refresh with UPDATE_GOLDEN=1 and review the diff.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { Manifest } from "../../../runtime/abi/manifest-types.js";
import { emitStubs, stubNames } from "../../../src/build/emit-stubs.js";

const golden = (name: string) => new URL(`../../golden/stubs/${name}`, import.meta.url);

function checkGolden(name: string, actual: string) {
  const file = golden(name);
  if (process.env.UPDATE_GOLDEN === "1" || !existsSync(file)) writeFileSync(file, actual);
  expect(actual).toBe(readFileSync(file, "utf8"));
}

const i64 = { kind: "int", bits: 64, signed: true } as const;
const manifest: Manifest = {
  manifestVersion: 1,
  buildKey: "k",
  createdBy: "test",
  types: {
    Employee: {
      name: "Employee",
      origin: "example.com/app/shared.Employee",
      fields: [
        { name: "Name", jsonName: "name", type: { kind: "string" } },
        { name: "Tags", jsonName: "tags", type: { kind: "list", elem: { kind: "string" } } },
        { name: "Boss", jsonName: "boss", type: { kind: "optional", inner: { kind: "record", name: "Employee" } } },
      ],
    },
  },
  modules: [],
  fragments: [
    {
      id: "6",
      language: "go",
      kind: "function",
      symbol: "Add",
      source: { file: "calc/calc.go", line: 3 },
      runOn: "client",
      signature: { params: [{ name: "a", type: i64 }, { name: "b", type: i64 }], results: [i64], error: false },
      abi: "scalar",
      export: "dcm_f_6",
      flags: { idempotent: true, stateful: false },
      deps: { fragments: [], libs: [], globalVars: [], typeDefs: [] },
    },
    {
      id: "raise",
      language: "go",
      kind: "method",
      symbol: "Employee.Raise",
      source: { file: "shared/employee.go", line: 9 },
      runOn: "server",
      signature: {
        params: [
          { name: "e", type: { kind: "record", name: "Employee" }, receiver: true },
          { name: "pcts", type: { kind: "list", elem: { kind: "float", bits: 64 } }, variadic: true },
        ],
        results: [{ kind: "map", key: { kind: "string" }, value: { kind: "bytes" } }, { kind: "bool" }],
        error: true,
      },
      abi: "buffer",
      export: "dcm_f_raise",
      flags: { idempotent: false, stateful: false },
      deps: { fragments: [], libs: [], globalVars: [], typeDefs: ["Employee"] },
    },
    {
      id: "tax",
      language: "go",
      kind: "variable",
      symbol: "taxRate",
      source: { file: "shared/tax.go", line: 1 },
      runOn: "server",
      flags: { idempotent: false, stateful: false },
      deps: { fragments: [], libs: [], globalVars: [], typeDefs: [] },
    },
  ],
};

describe("emitStubs", () => {
  it("matches the golden JS and .d.ts", () => {
    const { js, dts } = emitStubs(manifest);
    checkGolden("fragments.js.golden", js);
    checkGolden("fragments.d.ts.golden", dts);
  });

  it("binds callable fragments to a caller with ids and argument lists, variadics spread", async () => {
    const { js } = emitStubs(manifest);
    const mod = await import(`data:text/javascript,${encodeURIComponent(js)}`);
    const calls: unknown[] = [];
    const f = mod.bindFragments((id: string, args: unknown[]) => {
      calls.push([id, args]);
      return Promise.resolve(null);
    });
    await f.Add(1n, 2n);
    await f.Employee_Raise({ name: "x" }, 1.5, 2.5);
    expect(calls).toEqual([
      ["6", [1n, 2n]],
      ["raise", [{ name: "x" }, 1.5, 2.5]],
    ]);
    expect(Object.keys(f)).toEqual(["Add", "Employee_Raise"]);
    expect(mod.fragmentIds).toEqual({ Add: "6", Employee_Raise: "raise" });
  });

  it("disambiguates symbols that two packages share by id", () => {
    const twin = { ...manifest.fragments[0]!, id: "7" };
    const names = stubNames([manifest.fragments[0]!, twin]);
    expect([...names.values()]).toEqual(["Add_6", "Add_7"]);
  });
});
