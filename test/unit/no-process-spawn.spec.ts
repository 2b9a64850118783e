/**
 * Every toolchain step of every language runs through core's sandbox
 * (toolchains/sandbox.ts, reached through src/languages/kit/toolchain-kit.ts):
 * no file under languages/ or src/build/ starts a process itself, so a new
 * language cannot run its compiler unsandboxed by forgetting to ask.
 * Probing a toolchain's own binary (`go version`) goes through the kit's
 * probeTool, which never sees the repository.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "../..");

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    if (name === "node_modules" || name === "fixtures") return [];
    if (statSync(full).isDirectory()) return tsFiles(full);
    return name.endsWith(".ts") ? [full] : [];
  });
}

const SPAWNS = [
  /from\s+["'](?:node:)?child_process["']/,
  /import\(\s*["'](?:node:)?child_process["']\s*\)/,
  /from\s+["']execa["']/,
  /import\(\s*["']execa["']\s*\)/,
  /\brunProcess\b/,
];

it("no language and no build step starts a process outside core's sandbox", () => {
  const files = [...tsFiles(join(ROOT, "languages")), ...tsFiles(join(ROOT, "src", "build"))];
  expect(files.length).toBeGreaterThan(20);
  const offenders = files
    .filter((f) => SPAWNS.some((re) => re.test(readFileSync(f, "utf8"))))
    .map((f) => relative(ROOT, f));
  expect(offenders).toEqual([]);
});
