import { existsSync } from "node:fs";
import { dirname, isAbsolute, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";

let root: string | undefined;

/** The dcm package root (the folder holding package.json), from source or from build/. */
export function projectRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json")) || dir.endsWith("/build")) {
    const up = dirname(dir);
    if (up === dir) throw new Error("dcm: cannot find the package root above " + fileURLToPath(import.meta.url));
    dir = up;
  }
  root = dir;
  return dir;
}

/**
 * How every path in dcm's output is printed: relative to the current
 * directory when the file is inside it, else absolute. A relative path is
 * taken to be relative to the current directory already.
 */
export function displayPath(file: string, cwd = process.cwd()): string {
  if (!isAbsolute(file)) return file;
  const rel = relative(cwd, file);
  if (rel === "") return ".";
  if (rel === ".." || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return file;
  return rel;
}

/** `displayPath` for every absolute path under the current directory that a message quotes. */
export function displayPathsIn(text: string, cwd = process.cwd()): string {
  const root = cwd.endsWith(sep) ? cwd : cwd + sep;
  return text.split(root).join("");
}
