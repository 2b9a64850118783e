/**
 * Finding a fragment of a manifest by what a user calls it: its id, else
 * its symbol (`Func`, `Type.Method`), else a method's bare name (`Area` for
 * `Circle.Area`). An id always wins over a name. A name shared by several
 * fragments is refused with the list of them; an unknown one with the
 * nearest ids and names. Browser-safe.
 */
import { FragmentCallError } from "./call-error.js";
import { nearest } from "./did-you-mean.js";
import type { Manifest, ManifestFragment } from "./manifest-types.js";

/** At most this many fragments are listed in an error message. */
const LIST_LIMIT = 30;

function describe(f: ManifestFragment): string {
  return `\`${f.id}\` (${f.language} ${f.kind} ${f.symbol}, ${f.source.file}:${f.source.line})`;
}

const bareName = (symbol: string): string => symbol.slice(symbol.lastIndexOf(".") + 1);

/** The fragment named `idOrName` in `manifest`; `where` names the manifest in error messages. */
export function lookupFragment(manifest: Manifest, idOrName: string, where = "the manifest"): ManifestFragment {
  const all = manifest.fragments;
  const byId = all.find((f) => f.id === idOrName);
  if (byId) return byId;
  let found = all.filter((f) => f.symbol === idOrName);
  if (found.length === 0 && !idOrName.includes(".")) {
    found = all.filter((f) => f.kind === "method" && bareName(f.symbol) === idOrName);
  }
  if (found.length === 1) return found[0]!;
  if (found.length > 1) {
    const list = found.slice(0, LIST_LIMIT).map(describe).join(", ");
    throw new FragmentCallError(
      "DCM_UNKNOWN_FRAGMENT",
      `\`${idOrName}\` names ${found.length} fragments in ${where}: ${list}. Call one of them by its id.`,
      idOrName,
    );
  }
  // Ids first; a symbol that differs from a listed name only by case adds nothing.
  const names = new Map<string, string>();
  for (const n of [...all.map((f) => f.id), ...all.map((f) => f.symbol)]) {
    if (!names.has(n.toLowerCase())) names.set(n.toLowerCase(), n);
  }
  const close = nearest(idOrName, names.values(), 5);
  const hint = close.length ? ` Did you mean ${close.map((c) => `\`${c}\``).join(" or ")}?` : "";
  const ids = all.map((f) => f.id);
  const listed = ids.slice(0, LIST_LIMIT).join(", ") + (ids.length > LIST_LIMIT ? `, … (${ids.length} in all)` : "");
  throw new FragmentCallError(
    "DCM_UNKNOWN_FRAGMENT",
    `No fragment with the id or name \`${idOrName}\` in ${where}.${hint} (fragments: ${listed})`,
    idOrName,
  );
}
