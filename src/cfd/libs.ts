/**
 * `libs` entries: `fmt`, or `mathematics math` for `import mathematics "math"`
 * (the paper's form for an aliased import). Comparisons with the libraries
 * the code uses go by path; the alias only has to agree with the source.
 */
import type { CfdLib } from "./cfd-types.js";

/** The entry's alias and path; undefined when it is neither `path` nor `alias path`. */
export function parseLib(entry: string): CfdLib | undefined {
  const parts = entry.trim().split(/\s+/);
  if (parts.length === 1 && parts[0]) return { path: parts[0] };
  if (parts.length === 2) return { alias: parts[0]!, path: parts[1]! };
  return undefined;
}

/** The import path of an entry (the entry itself when it does not parse). */
export function libPath(entry: string): string {
  return parseLib(entry)?.path ?? entry.trim();
}

/** How an entry for `path` imported as `alias` is written: `alias path`, or the path alone. */
export function libEntry(path: string, alias?: string): string {
  return alias ? `${alias} ${path}` : path;
}
