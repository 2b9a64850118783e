/**
 * Convention 1: core (src/) and the runtime (runtime/) reach languages only
 * through the registry. No file there may name a registered language's id as
 * a string literal or import from languages/ — except the registry itself.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { allLanguages } from "../../src/languages/registry.js";

const ROOT = join(import.meta.dirname, "../..");
const REGISTRY = "src/languages/registry.ts";

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) return tsFiles(full);
    return name.endsWith(".ts") ? [full] : [];
  });
}

describe("core and runtime never branch on a language", () => {
  const files = [...tsFiles(join(ROOT, "src")), ...tsFiles(join(ROOT, "runtime"))]
    .map((f) => relative(ROOT, f))
    .filter((f) => f !== REGISTRY);

  // The registry is the list: every folder languages/<id>/ with a language.ts is registered, and nothing else.
  it("registers exactly the language folders under languages/", () => {
    const folders = readdirSync(join(ROOT, "languages"), { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(join(ROOT, "languages", d.name, "language.ts")))
      .map((d) => d.name);
    expect(allLanguages().map((a) => a.id).sort()).toEqual(folders.sort());
    expect(folders.length, "languages/ has no language folder at all").toBeGreaterThan(0);
  });

  it.each(allLanguages().map((a) => a.id))("no file of src/ or runtime/ names `%s`", (id) => {
    const offenders = files.filter((f) => {
      const text = readFileSync(join(ROOT, f), "utf8");
      return new RegExp(`["'\`]${id}["'\`]`).test(text);
    });
    expect(offenders).toEqual([]);
  });

  it("only the registry imports from languages/", () => {
    const offenders = files.filter((f) =>
      [...readFileSync(join(ROOT, f), "utf8").matchAll(/from\s+["'](\.[^"']+)["']/g)].some((m) =>
        relative(ROOT, join(ROOT, dirname(f), m[1]!)).startsWith("languages/"),
      ),
    );
    expect(offenders).toEqual([]);
  });
});
