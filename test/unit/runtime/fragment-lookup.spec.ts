/**
 * Naming fragments (runtime/abi/fragment-lookup.ts): an id wins over a
 * name, a symbol or a method's bare name works where it is unique, and an
 * ambiguous or unknown name lists the candidates.
 */
import { describe, expect, it } from "vitest";
import { FragmentCallError } from "../../../runtime/abi/call-error.js";
import { lookupFragment } from "../../../runtime/abi/fragment-lookup.js";
import type { FragmentKind, Manifest, ManifestFragment } from "../../../runtime/abi/manifest-types.js";

function frag(id: string, symbol: string, kind: FragmentKind = "function", file = "a.go"): ManifestFragment {
  return {
    id,
    language: "go",
    kind,
    symbol,
    source: { file, line: 3 },
    runOn: "client",
    flags: { idempotent: true, stateful: false },
    deps: { fragments: [], libs: [], globalVars: [], typeDefs: [] },
  };
}

const manifest = {
  fragments: [
    frag("1", "GetHash"),
    frag("div", "Div"),
    frag("Div", "Mod"), // an id that is another fragment's name
    frag("area", "Circle.Area", "method"),
    frag("sq-area", "Square.Area", "method", "b.go"),
    frag("perim", "Circle.Perimeter", "method"),
    frag("twice-a", "Twice", "function", "a/a.go"),
    frag("twice-b", "Twice", "function", "b/b.go"),
  ],
} as unknown as Manifest;

function failure(name: string): FragmentCallError {
  try {
    lookupFragment(manifest, name, "dist/manifest.json");
  } catch (e) {
    return e as FragmentCallError;
  }
  throw new Error(`${name} was found`);
}

describe("lookupFragment", () => {
  it("finds by id first, then by symbol, then by a method's unique bare name", () => {
    expect(lookupFragment(manifest, "1").symbol).toBe("GetHash");
    expect(lookupFragment(manifest, "GetHash").id).toBe("1");
    expect(lookupFragment(manifest, "Div").id).toBe("Div");
    expect(lookupFragment(manifest, "Circle.Area").id).toBe("area");
    expect(lookupFragment(manifest, "Perimeter").id).toBe("perim");
  });

  it("refuses an ambiguous name and lists every fragment it names", () => {
    for (const [name, ids] of [
      ["Twice", ["twice-a", "twice-b"]],
      ["Area", ["area", "sq-area"]],
    ] as const) {
      const e = failure(name);
      expect(e.code).toBe("DCM_UNKNOWN_FRAGMENT");
      expect(e.message).toContain(`\`${name}\` names 2 fragments in dist/manifest.json`);
      for (const id of ids) expect(e.message).toContain(`\`${id}\``);
      expect(e.message).toMatch(/Call one of them by its id/);
    }
  });

  it("answers an unknown name with the nearest ids and names", () => {
    const e = failure("GetHsh");
    expect(e.code).toBe("DCM_UNKNOWN_FRAGMENT");
    expect(e.message).toMatch(/^No fragment with the id or name `GetHsh` in dist\/manifest.json\. Did you mean `GetHash`\?/);
    expect(failure("Circle.Aera").message).toContain("`Circle.Area`");
    expect(failure("zzzzzzzzzzzz").message).not.toContain("Did you mean");
  });
});
