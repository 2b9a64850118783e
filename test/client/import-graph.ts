/** Walks the static and dynamic imports of compiled ESM files: every specifier must be relative and end in `.js`. */
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";

export function browserImportProblems(entries: string[]): string[] {
  const seen = new Set<string>();
  const problems: string[] = [];
  const re =
    /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)|^\s*import\s*["']([^"']+)["']/gm;
  const walk = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const src = readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\//g, "");
    for (const m of src.matchAll(re)) {
      const spec = m[1] ?? m[2] ?? m[3]!;
      if (!spec.startsWith("./") && !spec.startsWith("../")) {
        problems.push(`${file}: imports ${spec}`);
        continue;
      }
      if (!spec.endsWith(".js")) problems.push(`${file}: import without .js: ${spec}`);
      walk(resolve(dirname(file), spec));
    }
  };
  for (const e of entries) walk(e);
  return problems;
}
