/**
 * Which file paths a manifest may name: plain relative paths inside the dist
 * (`client/go.wasm`). Absolute paths, `..`, `.` or empty segments,
 * backslashes, NUL and URLs (`https://…`, `file:…`) are refused, so that a
 * manifest never makes a host read, serve or fetch anything outside its
 * dist. Pure and browser-safe: the Node hosts add the symbolic-link check
 * (runtime/node/dist-files.ts); the browser client checks before it builds a
 * URL.
 */
import type { Manifest } from "./manifest-types.js";

/** Why `p` is not a safe dist path, or null when it is one. */
export function distPathProblem(p: unknown): string | null {
  if (typeof p !== "string" || p === "") return "is not a non-empty string";
  if (p.length > 1024) return "is longer than 1024 characters";
  if (p.includes("\0")) return "contains a NUL character";
  if (p.includes("\\")) return "contains a backslash";
  if (p.startsWith("/") || /^[a-zA-Z]:/.test(p)) return "is absolute";
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(p)) return "is a URL";
  const parts = p.split("/");
  if (parts.includes("..")) return "leads out of the dist folder (`..`)";
  if (parts.some((s) => s === "" || s === ".")) return "has an empty or `.` segment";
  return null;
}

/** Every file path the manifest names (modules and glue), with where it is named. */
export function manifestFiles(manifest: Manifest): Array<{ where: string; file: unknown }> {
  const files: Array<{ where: string; file: unknown }> = [];
  manifest.modules.forEach((m, i) => {
    files.push({ where: `modules[${i}].file`, file: (m as { file?: unknown } | null)?.file });
    const glue = (m as { glue?: { file?: unknown } } | null)?.glue;
    if (glue !== undefined) files.push({ where: `modules[${i}].glue.file`, file: glue?.file });
  });
  return files;
}

/** The first unsafe path of a manifest, as a sentence, or null. */
export function unsafeManifestPath(manifest: Manifest): string | null {
  for (const { where, file } of manifestFiles(manifest)) {
    const why = distPathProblem(file);
    if (why) return `${where} ${JSON.stringify(file)?.slice(0, 200)} ${why}`;
  }
  return null;
}
