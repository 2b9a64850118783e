/**
 * The go.work that puts the generated main module in a workspace with the
 * user's module, so the user's go.mod, replace directives and go.sum apply.
 *
 * Known limitations:
 *  - of a go.work the user already has, only `go`, `use` and `replace` are
 *    kept; other directives (`toolchain`, `godebug`) are dropped;
 *  - the go.work parser strips `//` comments only, not `/* … *\/` ones.
 */
import { readFile } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import { MIN_GO_VERSION, maxGoVersion } from "./go-version.js";
import { compareStrings } from "./naming.js";

/** go.work: the user's module and the generated one (plus the `use`/`replace` of a go.work the user has). */
export async function renderGoWork(repo: string, moduleRoot: string, moduleGo: string): Promise<string> {
  let goVersion = maxGoVersion(MIN_GO_VERSION, moduleGo || MIN_GO_VERSION);
  const uses = new Set<string>([moduleRoot]);
  const replaces: string[] = [];
  const userWork = await findUserGoWork(repo, moduleRoot);
  if (userWork) {
    const parsed = parseGoWork(userWork.text, dirname(userWork.file));
    if (parsed.go) goVersion = maxGoVersion(goVersion, parsed.go);
    for (const u of parsed.uses) uses.add(u);
    replaces.push(...parsed.replaces);
  }
  const lines = [`go ${goVersion}`, "", "use (", "\t./main"];
  for (const u of [...uses].sort(compareStrings)) lines.push(`\t${goWorkPath(u)}`);
  lines.push(")");
  if (replaces.length > 0) lines.push("", "replace (", ...replaces.map((r) => `\t${r}`), ")");
  return `${lines.join("\n")}\n`;
}

function goWorkPath(p: string): string {
  return /^[A-Za-z0-9_./-]+$/.test(p) ? p : JSON.stringify(p);
}

async function findUserGoWork(repo: string, moduleRoot: string): Promise<{ file: string; text: string } | null> {
  let dir = moduleRoot;
  for (;;) {
    const file = join(dir, "go.work");
    try {
      return { file, text: await readFile(file, "utf8") };
    } catch {
      // not here
    }
    if (dir === repo || relative(repo, dir).startsWith("..")) return null;
    const up = dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

/** The parts of a go.work dcm keeps: `go`, `use` (made absolute) and `replace` (local paths made absolute). */
export function parseGoWork(text: string, baseDir: string): { go?: string; uses: string[]; replaces: string[] } {
  const out: { go?: string; uses: string[]; replaces: string[] } = { uses: [], replaces: [] };
  let block: string | null = null;
  const unquote = (s: string) => (s.startsWith('"') || s.startsWith("`") ? s.slice(1, -1) : s);
  const absPath = (s: string) => goWorkPath(resolve(baseDir, unquote(s)));
  const handle = (verb: string, rest: string) => {
    if (verb === "go") out.go = rest.trim();
    else if (verb === "use") {
      const p = rest.trim();
      if (p) out.uses.push(resolve(baseDir, unquote(p)));
    } else if (verb === "replace") {
      const m = /^(.*?)=>\s*(\S+)(\s+\S+)?\s*$/.exec(rest.trim());
      if (!m) return;
      const target = m[2]!;
      const local =
        target.startsWith("./") || target.startsWith("../") || target.startsWith('"./') || target.startsWith('"../');
      out.replaces.push(`${m[1]!.trim()} => ${local ? absPath(target) : `${target}${m[3] ?? ""}`}`);
    }
  };
  for (const raw of text.split("\n")) {
    const line = raw.replace(/\/\/.*$/, "").trim();
    if (!line) continue;
    if (block) {
      if (line === ")") block = null;
      else handle(block, line);
      continue;
    }
    const m = /^(\w+)\s*(.*)$/.exec(line);
    if (!m) continue;
    if (m[2] === "(") block = m[1]!;
    else handle(m[1]!, m[2]!);
  }
  return out;
}
