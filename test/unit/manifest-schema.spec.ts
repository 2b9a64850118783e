/**
 * docs/manifest.schema.json (with test/support/manifest-schema-check.ts) accepts
 * a manifest holding every type kind and refuses each kind of defect. Every
 * dist the tests build through the CLI is checked by runCli() itself.
 */
import { describe, expect, it } from "vitest";
import { manifestProblems } from "../support/manifest-schema-check.js";

const i32 = { kind: "int", bits: 32, signed: true };
const HASH = "a".repeat(64);

function manifest(): any {
  return {
    manifestVersion: 1,
    buildKey: HASH,
    createdBy: "dcm dcm-gen-2",
    fragments: [
      {
        id: "every-kind",
        language: "go",
        kind: "method",
        symbol: "P.Every",
        source: { file: "p/p.go", line: 3 },
        runOn: "client",
        flags: { idempotent: false, stateful: false },
        deps: { fragments: [], libs: [], globalVars: [], typeDefs: ["P"] },
        signature: {
          params: [
            { name: "p", type: { kind: "record", name: "P" }, receiver: true },
            { name: "b", type: { kind: "bool" } },
            { name: "f", type: { kind: "float", bits: 32 } },
            { name: "m", type: { kind: "map", key: { kind: "string" }, value: { kind: "bytes" } } },
            { name: "a", type: { kind: "array", elem: i32, length: 2 } },
            { name: "o", type: { kind: "optional", inner: { kind: "record", name: "P" } } },
            { name: "rest", type: { kind: "list", elem: i32 }, variadic: true },
          ],
          results: [i32, { kind: "int", bits: 64, signed: false }],
          error: true,
        },
        abi: "buffer",
        export: "dcm_f_every_kind",
      },
      {
        id: "dep",
        language: "go",
        kind: "function",
        symbol: "Dep",
        source: { file: "p/p.go", line: 9 },
        notCallable: "fragment dep has no `runOn`: it is a dependency",
        flags: { idempotent: true, stateful: false },
        deps: { fragments: [], libs: [], globalVars: [], typeDefs: [] },
      },
    ],
    modules: [
      {
        language: "go",
        target: "wasm",
        sides: ["client", "server"],
        file: "client/go.wasm",
        sha256: HASH,
        size: 10,
        abiVersion: 1,
        toolchain: "go1.26.8 wasip1/wasm",
        fragments: ["every-kind", "dep"],
      },
    ],
    types: { P: { name: "P", origin: "example.com/p.P", fields: [{ name: "X", jsonName: "x", type: i32 }] } },
  };
}

describe("docs/manifest.schema.json", () => {
  it("accepts a manifest with every type kind, a receiver, a variadic, an error flag and a notCallable fragment", () => {
    expect(manifestProblems(manifest())).toEqual([]);
  });

  const defects: [string, (m: any) => void, RegExp][] = [
    ["an unknown type kind", (m) => (m.fragments[0].signature.results[0] = { kind: "char" }), /results\/0/],
    ["an int of 12 bits", (m) => (m.types.P.fields[0].type = { kind: "int", bits: 12, signed: true }), /types\/P/],
    [
      "a record missing from types",
      (m) => (m.fragments[0].signature.params[0].type.name = "Q"),
      /record Q is not in types/,
    ],
    [
      "a notCallable fragment with a signature",
      (m) => (m.fragments[1].signature = m.fragments[0].signature),
      /fragments\/1/,
    ],
    ["a callable fragment without export", (m) => delete m.fragments[0].export, /export/],
    ["a variadic parameter that is not a list", (m) => (m.fragments[0].signature.params[6].type = i32), /params\/6/],
    ["a receiver that is not first", (m) => (m.fragments[0].signature.params[1].receiver = true), /receiver/],
    ["a module path with ..", (m) => (m.modules[0].file = "client/../../x.wasm"), /modules\/0\/file/],
    ["an absolute module path", (m) => (m.modules[0].file = "/etc/passwd"), /modules\/0\/file/],
    ["a URL as module path", (m) => (m.modules[0].file = "https://x/y.wasm"), /modules\/0\/file/],
    ["a js module without glue", (m) => (m.modules[0].target = "js"), /glue/],
    ["a module holding an unknown fragment", (m) => m.modules[0].fragments.push("nope"), /fragment nope/],
    ["a field without jsonName", (m) => delete m.types.P.fields[0].jsonName, /jsonName/],
    ["an unknown member", (m) => (m.extra = 1), /additional/],
  ];
  for (const [what, mutate, where] of defects) {
    it(`refuses ${what}`, () => {
      const m = manifest();
      mutate(m);
      const problems = manifestProblems(m);
      expect(problems.join("\n")).toMatch(where);
    });
  }
});
