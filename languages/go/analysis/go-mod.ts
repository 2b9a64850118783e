/**
 * go.mod: find the nearest one above a file and read what analysis needs.
 *
 * Known limitations: `replace` directives are ignored, so a module replaced
 * by a folder of the repository counts as a third-party module; a repository
 * holding several modules is analysed module by module, but import paths
 * that cross from one module into another are third-party.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, posix } from "node:path";

export interface GoMod {
  /** Module path, e.g. `example.com/app`. */
  path: string;
  /** Repo-relative directory holding go.mod ("" for the root). */
  dir: string;
  goVersion: string;
  /** Module paths of `require` directives. */
  requires: string[];
}

export function parseGoMod(text: string, dir: string): GoMod {
  const mod: GoMod = { path: "", dir, goVersion: "", requires: [] };
  let inRequire = false;
  for (const raw of text.split("\n")) {
    const line = raw.replace(/\/\/.*$/, "").trim();
    if (!line) continue;
    if (inRequire) {
      if (line === ")") inRequire = false;
      else mod.requires.push(unquote(line.split(/\s+/)[0] ?? ""));
      continue;
    }
    const [key, ...rest] = line.split(/\s+/);
    if (key === "module") mod.path = unquote(rest[0] ?? "");
    else if (key === "go") mod.goVersion = rest[0] ?? "";
    else if (key === "require") {
      if (rest[0] === "(") inRequire = true;
      else if (rest[0]) mod.requires.push(unquote(rest[0]));
    }
  }
  return mod;
}

function unquote(s: string): string {
  return s.replace(/^["`](.*)["`]$/, "$1");
}

/** Finds go.mod files by directory, memoised per analysis run. */
export class GoModFinder {
  private readonly byDir = new Map<string, GoMod | null>();
  constructor(private readonly repo: string) {}

  /** The nearest go.mod at or above the repo-relative directory, within the repository. */
  forDir(dir: string): GoMod | undefined {
    const hit = this.byDir.get(dir);
    if (hit !== undefined) return hit ?? undefined;
    const file = join(this.repo, dir, "go.mod");
    let found: GoMod | undefined;
    if (existsSync(file)) found = parseGoMod(readFileSync(file, "utf8"), dir);
    else if (dir !== "" && dir !== ".") found = this.forDir(parentDir(dir));
    this.byDir.set(dir, found ?? null);
    return found;
  }
}

export function parentDir(dir: string): string {
  const up = posix.dirname(dir);
  return up === "." ? "" : up;
}

/** Repo-relative directory of a repo-relative file ("" for the root). */
export function dirOf(file: string): string {
  const d = dirname(file).split("\\").join("/");
  return d === "." ? "" : d;
}

/** Import path of a package directory inside a module. */
export function importPathOf(mod: GoMod, dir: string): string {
  if (dir === mod.dir) return mod.path;
  const rest = mod.dir === "" ? dir : dir.slice(mod.dir.length + 1);
  return `${mod.path}/${rest}`;
}

/** Repo-relative directory of an import path, when the path lies inside the module. */
export function dirOfImport(mod: GoMod, importPath: string): string | undefined {
  if (importPath === mod.path) return mod.dir;
  if (!importPath.startsWith(`${mod.path}/`)) return undefined;
  const rest = importPath.slice(mod.path.length + 1);
  return mod.dir === "" ? rest : `${mod.dir}/${rest}`;
}

/** Standard-library import paths have no dot in their first element. */
export function isStdlib(importPath: string): boolean {
  return !(importPath.split("/")[0] ?? "").includes(".");
}
