import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadAllAdapters } from "../../src/languages/registry.js";
import { renderSupportMatrix, withSupportMatrix } from "../../src/languages/write-support-matrix.js";

const README = join(import.meta.dirname, "../../languages/README.md");

describe("languages/README.md support matrix", () => {
  it("is what the registered adapters say (regenerate: node build/src/languages/write-support-matrix.js)", async () => {
    const text = readFileSync(README, "utf8");
    expect(withSupportMatrix(text, renderSupportMatrix(await loadAllAdapters()))).toBe(text);
  });

  it("has one row per registered adapter, each with its grammar, targets and toolchains", async () => {
    const adapters = await loadAllAdapters();
    const matrix = renderSupportMatrix(adapters);
    for (const a of adapters) {
      expect(a.support, `${a.id} declares no support descriptor`).toBeDefined();
      const row = matrix.split("\n").find((l) => l.startsWith(`| ${a.displayName} (\`${a.id}\`)`));
      expect(row, a.id).toBeDefined();
      for (const t of a.targets.client) expect(row).toContain(t);
    }
  });
});
