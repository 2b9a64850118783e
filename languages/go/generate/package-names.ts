/**
 * Package clause names of imported packages outside the module, read from
 * their sources (the module cache, a vendor folder or a local `replace`), so
 * that pruning knows which unaliased imports a kept declaration uses: an
 * import path's last element is not always its package name
 * (`github.com/hashicorp/terraform-svchost` is `package svchost`).
 *
 * Known limitations: versions come from the user's go.mod `require` lines
 * (what a tidy go.mod selects); a package not found there stays unknown.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { guessPkgName } from "../analysis/imports.js";

interface ModuleRef {
  path: string;
  version: string;
}

export class PackageNames {
  private readonly requires: ModuleRef[] = [];
  /** Module path (and optional version) -> replacement: a local folder or another module. */
  private readonly replaces = new Map<string, { dir?: string; mod?: ModuleRef }>();
  private readonly memo = new Map<string, string | undefined>();

  constructor(
    private readonly moduleRoot: string,
    private readonly gomodcache: string | undefined,
  ) {
    let text = "";
    try {
      text = readFileSync(join(moduleRoot, "go.mod"), "utf8");
    } catch {
      return;
    }
    let block: string | null = null;
    for (const raw of text.split("\n")) {
      const line = raw.replace(/\/\/.*$/, "").trim();
      if (!line) continue;
      if (block) {
        if (line === ")") block = null;
        else this.directive(block, line);
        continue;
      }
      const m = /^(require|replace)\s*(\(?)\s*(.*)$/.exec(line);
      if (!m) continue;
      if (m[2] === "(") block = m[1]!;
      else this.directive(m[1]!, m[3]!);
    }
  }

  private directive(verb: string, rest: string): void {
    const unq = (s: string) => s.replace(/^["`](.*)["`]$/, "$1");
    if (verb === "require") {
      const [path, version] = rest.split(/\s+/);
      if (path && version) this.requires.push({ path: unq(path), version });
      return;
    }
    const m = /^(\S+)(?:\s+\S+)?\s*=>\s*(\S+)(?:\s+(\S+))?$/.exec(rest);
    if (!m) return;
    const target = unq(m[2]!);
    if (target.startsWith("./") || target.startsWith("../") || target.startsWith("/")) {
      this.replaces.set(unq(m[1]!), { dir: resolve(this.moduleRoot, target) });
    } else if (m[3]) this.replaces.set(unq(m[1]!), { mod: { path: target, version: m[3] } });
  }

  /** The package clause name of an import path outside the module; undefined when its sources are not at hand. */
  nameOf(importPath: string): string | undefined {
    if (this.memo.has(importPath)) return this.memo.get(importPath);
    const name = this.lookup(importPath);
    this.memo.set(importPath, name);
    return name;
  }

  private lookup(importPath: string): string | undefined {
    // Standard library packages are named after their last element (math/rand/v2 is rand).
    if (!(importPath.split("/")[0] ?? "").includes(".")) return guessPkgName(importPath);
    const vendored = join(this.moduleRoot, "vendor", importPath);
    if (existsSync(vendored)) return clauseOfDir(vendored);
    let best: ModuleRef | undefined;
    for (const r of this.requires) {
      if (
        (importPath === r.path || importPath.startsWith(`${r.path}/`)) &&
        (!best || r.path.length > best.path.length)
      ) {
        best = r;
      }
    }
    if (!best) return undefined;
    const rest = importPath.slice(best.path.length);
    const rep = this.replaces.get(best.path);
    if (rep?.dir) return clauseOfDir(join(rep.dir, rest));
    const mod = rep?.mod ?? best;
    if (!this.gomodcache) return undefined;
    return clauseOfDir(join(this.gomodcache, `${escapePath(mod.path)}@${escapePath(mod.version)}`, rest));
  }
}

/** The module cache's case encoding: an upper-case letter becomes `!` and its lower case. */
function escapePath(p: string): string {
  return p.replace(/[A-Z]/g, (c) => `!${c.toLowerCase()}`);
}

/** The most common package clause among a folder's non-test Go files (a stray `package main` generator loses). */
function clauseOfDir(dir: string): string | undefined {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith(".go") && !n.endsWith("_test.go") && !/^[._]/.test(n));
  } catch {
    return undefined;
  }
  const counts = new Map<string, number>();
  for (const n of names) {
    const clause = packageClause(readFileSync(join(dir, n), "utf8"));
    if (clause && clause !== "documentation") counts.set(clause, (counts.get(clause) ?? 0) + 1);
  }
  let best: string | undefined;
  for (const [name, count] of counts) {
    if (!best || count > counts.get(best)! || (count === counts.get(best)! && best === "main")) best = name;
  }
  return best;
}

/** Offset of the first token after leading whitespace and comments (where the package clause starts). */
export function afterLeadingComments(src: string): number {
  let i = 0;
  while (i < src.length) {
    const ch = src[i]!;
    if (ch === " " || ch === "\t" || ch === "\n" || ch === "\r" || ch === "\uFEFF") i++;
    else if (src.startsWith("//", i)) {
      const nl = src.indexOf("\n", i);
      i = nl < 0 ? src.length : nl + 1;
    } else if (src.startsWith("/*", i)) {
      const end = src.indexOf("*/", i + 2);
      i = end < 0 ? src.length : end + 2;
    } else break;
  }
  return i;
}

/** The name in the package clause, after any leading comments. */
export function packageClause(src: string): string | undefined {
  return /^package[ \t]+([\p{L}_][\p{L}\p{N}_]*)/u.exec(src.slice(afterLeadingComments(src)))?.[1];
}
