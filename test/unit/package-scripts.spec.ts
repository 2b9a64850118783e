/**
 * Every npm script that runs a file of this repository names one that exists
 * (`npm start` once named a scripts/start.sh that did not).
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../support/run-cli.js";

const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };

describe("package.json scripts", () => {
  it("`npm start` serves the polyglot example", () => {
    expect(pkg.scripts.start).toBe("bash scripts/start.sh");
    const script = readFileSync(join(ROOT, "scripts/start.sh"), "utf8");
    expect(script).toMatch(/bin\/dcm\.js build "\$poly"/);
    expect(script).toMatch(/exec node bin\/dcm\.js run "\$poly\/dist"/);
  });

  for (const [name, command] of Object.entries(pkg.scripts)) {
    const files = [...command.matchAll(/(?:^|\s)(?:bash|node|sh)\s+(\S+)/g)]
      .map((m) => m[1]!)
      // build/ is made by `npm run build`
      .filter((f) => !f.startsWith("build/"));
    if (files.length === 0) continue;
    it(`\`npm run ${name}\` names files that exist: ${files.join(", ")}`, () => {
      for (const f of files) expect(existsSync(join(ROOT, f)), f).toBe(true);
    });
  }
});
