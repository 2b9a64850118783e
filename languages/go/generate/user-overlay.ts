/**
 * The files dcm overlays into the user's packages (go build -overlay), never
 * written to the repository itself:
 *
 *  - `zz_dcm_export.go` in every package that holds a fragment, declaring
 *    `DcmFn_<x>` aliases (method expressions for methods) and `DcmT_<t>`
 *    aliases for unexported types, so the generated main package can reach
 *    unexported functions, methods and types;
 *  - for a `package main` (which cannot be imported), copies of its files with
 *    the package clause renamed to `dcm_main`, in the new folder
 *    `<pkgdir>/zz_dcm_shadow`.
 */
import { readdir, readFile } from "node:fs/promises";
import { join, posix } from "node:path";
import { dcmError } from "../../../runtime/diagnostics/catalog.js";
import { isGoSource } from "../analysis/workspace.js";
import type { GoFragmentDetail } from "../go-types.js";
import { HEADER } from "./main-package.js";
import { compareStrings } from "./naming.js";
import { afterLeadingComments } from "./package-names.js";

const SHADOW_DIR = "zz_dcm_shadow";
const SHADOW_PKG = "dcm_main";
export const EXPORT_FILE = "zz_dcm_export.go";

export interface PkgPlan {
  /** Original import path and package name. */
  pkgPath: string;
  pkgName: string;
  /** Repo-relative directory of the original package. */
  dir: string;
  isMain: boolean;
  /** Import path and repo-relative directory of the package the generated code imports. */
  effPath: string;
  effDir: string;
  /** Package clause of the overlaid files. */
  effName: string;
  /** `var DcmFn_x = …` lines and `type DcmT_t = t` lines. */
  fnAliases: Map<string, string>;
  typeAliases: Set<string>;
}

/** A fresh plan for the package of ref; the shadow folder stands in for a `package main`. */
export function newPkgPlan(ref: GoFragmentDetail["pkg"]): PkgPlan {
  const isMain = ref.pkgName === "main";
  return {
    pkgPath: ref.pkgPath,
    pkgName: ref.pkgName,
    dir: normDir(ref.dir),
    isMain,
    effPath: isMain ? `${ref.pkgPath}/${SHADOW_DIR}` : ref.pkgPath,
    effDir: isMain ? posix.join(normDir(ref.dir), SHADOW_DIR) : normDir(ref.dir),
    effName: isMain ? SHADOW_PKG : ref.pkgName,
    fnAliases: new Map(),
    typeAliases: new Set(),
  };
}

function normDir(dir: string): string {
  const d = posix.normalize(dir.replaceAll("\\", "/"));
  return d === "" ? "." : d;
}

/** The right-hand side of `var DcmFn_x = …` in the fragment's package. */
export function aliasTarget(d: GoFragmentDetail): string {
  if (!d.receiver) return d.funcName;
  return d.receiver.pointer ? `(*${d.receiver.typeName}).${d.funcName}` : `${d.receiver.typeName}.${d.funcName}`;
}

export function renderExportFile(p: PkgPlan): string {
  const lines = [
    HEADER,
    "// Aliases through which dcm's generated main package reaches the fragments",
    "// (and unexported types) of this package. Only in dcm's build overlay.",
    "",
    `package ${p.effName}`,
  ];
  for (const [alias, target] of [...p.fnAliases].sort((a, b) => compareStrings(a[0], b[0]))) {
    lines.push("", `var ${alias} = ${target}`);
  }
  for (const t of [...p.typeAliases].sort(compareStrings)) lines.push("", `type DcmT_${t} = ${t}`);
  return `${lines.join("\n")}\n`;
}

// ---------------------------------------------------------------- package main copies

/**
 * Copies of the non-test .go files of a `package main` folder, with the package
 * clause renamed (same line count, so compiler positions map back 1:1).
 * `pruned` (repo-relative file -> text, see extract.ts) replaces a file's text;
 * a file pruned to "" is left out.
 */
export async function shadowCopies(
  repo: string,
  dir: string,
  pruned?: Map<string, string>,
): Promise<Array<[string, string]>> {
  const abs = join(repo, dir);
  let names: string[];
  try {
    names = (await readdir(abs)).filter((n) => isGoSource(n) && n !== EXPORT_FILE);
  } catch {
    throw dcmError("DCM_REPO_NOT_FOUND", `cannot read the folder ${dir} of a package main that holds fragments`);
  }
  const out: Array<[string, string]> = [];
  for (const name of names.sort(compareStrings)) {
    const replaced = pruned?.get(posix.join(dir, name));
    if (replaced === "") continue;
    const text = replaced ?? (await readFile(join(abs, name), "utf8"));
    out.push([name, renamePackageClause(text, "main", SHADOW_PKG)]);
  }
  return out;
}

/** Replaces the package clause `package <from>` (after comments) with `package <to>`. */
export function renamePackageClause(src: string, from: string, to: string): string {
  const i = afterLeadingComments(src);
  const m = /^package[ \t]+([A-Za-z_][A-Za-z0-9_]*)/.exec(src.slice(i));
  if (!m || m[1] !== from) return src;
  return `${src.slice(0, i)}package ${to}${src.slice(i + m[0].length)}`;
}
