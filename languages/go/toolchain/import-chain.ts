/**
 * When a package outside the module fails to compile for a target (a module
 * that does not build for wasip1), the error names the fragment that needs it
 * and the import chain from the fragment's package to the failing package,
 * at the fragment's file:line, instead of a path in the module cache.
 *
 * The import graph comes from `go list -deps -json` of the same build (same
 * overlay, so with extraction it holds only the imports the kept code uses);
 * it runs only after a failure. The fragment is the one whose own code
 * reaches the failing package (its analysed `libs`), else the first whose
 * package imports it at all.
 */
import { diag } from "../../../runtime/diagnostics/catalog.js";
import type { Diagnostic } from "../../../runtime/diagnostics/diagnostic-types.js";
import type { GoBuildSpec } from "../generate/build-spec.js";
import type { GoBuildError, GoBuildOutput } from "./go-errors.js";

export interface ListedPackage {
  ImportPath: string;
  Name?: string;
  Imports?: string[];
}

/** Parses the stream of JSON objects `go list -json` prints. */
export function parseGoList(stdout: string): Map<string, ListedPackage> {
  const out = new Map<string, ListedPackage>();
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < stdout.length; i++) {
    const c = stdout[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "{") {
      if (depth++ === 0) start = i;
    } else if (c === "}" && --depth === 0) {
      const p = JSON.parse(stdout.slice(start, i + 1)) as ListedPackage;
      out.set(p.ImportPath, p);
    }
  }
  return out;
}

/** The shortest import chain from one package to another (both ends included). */
export function importChain(pkgs: Map<string, ListedPackage>, from: string, to: string): string[] | undefined {
  const prev = new Map<string, string | null>([[from, null]]);
  const queue = [from];
  while (queue.length > 0) {
    const p = queue.shift()!;
    if (p === to) {
      const chain: string[] = [];
      for (let q: string | null = p; q !== null; q = prev.get(q) ?? null) chain.unshift(q);
      return chain;
    }
    for (const next of pkgs.get(p)?.Imports ?? []) {
      if (!prev.has(next)) {
        prev.set(next, p);
        queue.push(next);
      }
    }
  }
  return undefined;
}

const SHADOW_SUFFIX = "/zz_dcm_shadow";

/** In-module packages by their folder (`shared`), others by import path. */
function display(spec: GoBuildSpec, path: string): string {
  const p = path.endsWith(SHADOW_SUFFIX) ? path.slice(0, -SHADOW_SUFFIX.length) : path;
  if (p === spec.modulePath) return spec.modulePath;
  if (spec.modulePath && p.startsWith(`${spec.modulePath}/`)) {
    const rest = p.slice(spec.modulePath.length + 1);
    return spec.moduleDir ? `${spec.moduleDir}/${rest}` : rest;
  }
  return p;
}

/**
 * Diagnostics naming fragment and import chain for every failing package
 * outside the module; `handled` holds the errors they replace.
 */
export function importChainDiagnostics(
  out: GoBuildOutput,
  spec: GoBuildSpec,
  pkgs: Map<string, ListedPackage>,
  platform: string,
  isForeign: (e: GoBuildError) => boolean,
): { diagnostics: Diagnostic[]; handled: Set<GoBuildError> } {
  const byPkg = new Map<string, GoBuildError[]>();
  for (const e of out.errors) {
    if (!e.pkg || !isForeign(e) || /^too many errors$/.test(e.message)) continue;
    const list = byPkg.get(e.pkg) ?? [];
    list.push(e);
    byPkg.set(e.pkg, list);
  }
  const diagnostics: Diagnostic[] = [];
  const handled = new Set<GoBuildError>();
  for (const [failing, errors] of byPkg) {
    // Fragments whose own code reaches the package, else any whose package imports it.
    let blamed = spec.fragments.filter((f) => f.libs.some((l) => importChain(pkgs, l, failing)));
    const byCode = blamed.length > 0;
    if (!byCode) {
      const first = spec.fragments.find((f) => importChain(pkgs, f.pkgPath, failing));
      blamed = first ? [first] : [];
    }
    if (blamed.length === 0) continue;
    for (const e of errors) handled.add(e);
    const first = errors[0]!;
    const tail = tailOf(pkgs, failing, first.message);
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more error${errors.length > 2 ? "s" : ""})` : "";
    for (const f of blamed.slice(0, 3)) {
      const chain = importChain(pkgs, f.pkgPath, failing) ?? [f.pkgPath, failing];
      const shown = [...chain, ...tail].map((p) => display(spec, p)).join(" → ");
      diagnostics.push(
        diag(
          "DCM_DEPENDENCY_UNBUILDABLE",
          `${byCode ? `fragment \`${f.id}\` (\`${f.symbol}\`) needs` : `the package of fragment \`${f.id}\` (\`${f.symbol}\`) imports`} ${failing}, which does not build for ${platform}: ${shown}: ${first.message.split("\n")[0]} (${first.file}:${first.line}:${first.col})${more}`,
          {
            pos: { file: f.file, line: f.line, col: 1 },
            fragment: f.id,
            suggestion: byCode
              ? `Every fragment is compiled into the ${platform} module: keep ${failing} out of this fragment's code and the helpers it calls, or require a version of it that builds for ${platform}.`
              : `Whole packages are compiled (DCM_GO_EXTRACT=0?): build with extraction, which compiles only the code the fragments reach, or require a version of ${failing} that builds for ${platform}.`,
          },
        ),
      );
    }
  }
  return { diagnostics, handled };
}

/** `undefined: isatty.IsTerminal` in a package that imports isatty: the chain goes on to isatty. */
function tailOf(pkgs: Map<string, ListedPackage>, failing: string, message: string): string[] {
  const q = /^undefined: ([\p{L}_][\p{L}\p{N}_]*)\./u.exec(message)?.[1];
  if (!q) return [];
  const dep = (pkgs.get(failing)?.Imports ?? []).find((i) => pkgs.get(i)?.Name === q);
  return dep ? [dep] : [];
}
