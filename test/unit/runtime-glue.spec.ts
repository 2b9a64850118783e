/**
 * Every registered language can load every module it builds: the glue it
 * names, or core's for modules that follow docs/abi.md
 * (src/languages/runtime-glue.ts), exists and default-exports a loader.
 */
import { existsSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import type { LanguageInfo } from "../../src/languages/adapter-types.js";
import { allLanguages, glueFor } from "../../src/languages/registry.js";
import { ABI_GLUE, runtimeGlueFor } from "../../src/languages/runtime-glue.js";

describe("runtime glue", () => {
  const rows = allLanguages().flatMap((l) =>
    [...new Set([...l.targets.client, ...l.targets.server])].map((t) => [l.id, t] as const),
  );

  it.each(rows)("%s builds %s modules and has glue that default-exports a loader", async (id, target) => {
    const path = glueFor(id, target);
    expect(path, `no glue for ${id} ${target}`).toBeDefined();
    expect(existsSync(path!), path).toBe(true);
    const mod = (await import(pathToFileURL(path!).href)) as { default?: { load?: unknown } };
    expect(typeof mod.default?.load).toBe("function");
  });

  it("gives a language that names no glue core's for wasm and native, and nothing for js or targets it does not build", () => {
    const bare: LanguageInfo = {
      id: "x",
      displayName: "X",
      extensions: [".x"],
      targets: { client: ["wasm"], server: ["native", "js"] },
    };
    expect(runtimeGlueFor(bare, "wasm")).toBe(ABI_GLUE.wasm);
    expect(runtimeGlueFor(bare, "native")).toBe(ABI_GLUE.native);
    expect(runtimeGlueFor(bare, "js")).toBeUndefined();
    expect(runtimeGlueFor({ ...bare, targets: { client: ["wasm"], server: ["wasm"] } }, "native")).toBeUndefined();
    expect(runtimeGlueFor({ ...bare, runtimeGlue: { wasm: "/own/glue.js" } }, "wasm")).toBe("/own/glue.js");
  });

  it("knows no glue for an unregistered language", () => {
    expect(glueFor("no-such-language", "wasm")).toBeUndefined();
  });
});
