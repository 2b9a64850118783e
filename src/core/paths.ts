import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
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
