/**
 * Generates the crate that turns a set of Rust fragments into one module
 * (docs/abi.md): a copy of the user's crate (the repository is never
 * written) with
 *  - Cargo.toml replaced by a cdylib manifest (cargo-manifest.ts),
 *  - src/zz_dcm_abi.rs: codec and ABI plumbing (templates/), declared as a
 *    module at the end of the crate root,
 *  - each fragment's export appended to the fragment's own file and each
 *    type's DcmEnc/DcmDec impls to the type's own file (wrappers.ts), so
 *    private items stay reachable and user line numbers do not move,
 *  - the print macros that capture output (print-macros.ts) at the top of
 *    the crate root, on a line of its own inner attributes.
 * The output is a function of the inputs only.
 */
import { createHash } from "node:crypto";
import { copyFile, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join, posix, resolve } from "node:path";
import type { GeneratedProject, GenerateRequest } from "../../../src/languages/adapter-types.js";
import { projectRoot } from "../../../src/core/paths.js";
import { compareIds as cmp, exportNames, isCallableFragment as isCallable } from "../../../src/languages/kit/abi-exports.js";
import { findCargoToml } from "../analysis/cargo-toml.js";
import { crateSourceFiles } from "../analysis/crate-files.js";
import { reachableNamed } from "../analysis/vtypes.js";
import type { RustAnalysisDetail, RustFragmentDetail } from "../rust-types.js";
import type { RustToolchainDriver } from "../toolchain/rust-toolchain.js";
import type { RustBuildSpec, RustTarget } from "./build-spec.js";
import { rustcFitsBindgen } from "../toolchain/bindgen-version.js";
import { type BindgenTools, wasmBindgenToolchain } from "../toolchain/wasm-bindgen-tools.js";
import { BINDGEN_PROFILE, PROFILES, renderCargoToml } from "./cargo-manifest.js";
import { withPrintMacros } from "./print-macros.js";
import { bindgenExports, noMangle, renderTypeImpls, renderWrapper } from "./wrappers.js";
import { renderStateExports, renderStateHelpers, stateDetail, stateReexports } from "./state-accessors.js";

/** Version of the generated code's shape (part of the content key). */
export const RUST_GENERATOR_VERSION = 1;
export const ABI_FILE = "zz_dcm_abi.rs";
const APPEND_MARK = "// ---- code below this line was appended by dcm (not in the user's file) ----";


async function template(name: string): Promise<string> {
  return readFile(join(projectRoot(), "languages", "rust", "templates", name), "utf8");
}

export async function generateRust(
  req: GenerateRequest,
  target: RustTarget,
  opts: {
    driver: RustToolchainDriver;
    /** wasm-bindgen for the wasm target: undefined = detect it (wasm-bindgen-tools.ts), null = the plain path. */
    bindgen?: BindgenTools | null;
  },
): Promise<GeneratedProject> {
  const detail = req.analysis.detail as RustAnalysisDetail | undefined;
  if (!detail?.crate) throw new Error("dcm rust generator: the analysis has no Rust crate detail");
  const repo = resolve(req.repo);
  const { crate, named } = detail;
  const crateAbs = join(repo, crate.dir);
  const toCrate = (repoRel: string) => posix.relative(crate.dir || ".", repoRel);
  const crateDir = join(resolve(req.workDir), `rust-${target}`, "crate");
  const names = exportNames([...req.analysis.fragments, ...req.fragments]);
  const info = await opts.driver.detectFor(target);
  // Edition 2015 has no extern prelude, which the code #[wasm_bindgen] expands to needs, and the
  // wasm-bindgen crate needs a recent rustc: the plain path for those.
  const canBindgen = target === "wasm" && crate.edition !== "2015" && (!info || rustcFitsBindgen(info.version));
  const tools = canBindgen ? (opts.bindgen !== undefined ? opts.bindgen : await wasmBindgenToolchain.tools()) : null;
  const bindgen = tools ? { version: tools.version, ...(tools.wasmPack ? { wasmPack: tools.wasmPack.version } : {}) } : undefined;
  const exportStyle = (text: string) => (bindgen ? bindgenExports(text, crate.edition) : text);

  const appends = new Map<string, string[]>();
  const append = (file: string, text: string) => {
    const list = appends.get(file) ?? [];
    list.push(text);
    appends.set(file, list);
  };
  const fragments = [...req.fragments].sort((a, b) => cmp(a.id, b.id));
  const exports: Record<string, string> = {};
  const typeKeys = new Set<string>();
  for (const f of fragments) {
    if (!isCallable(f)) continue;
    const d = f.detail as RustFragmentDetail;
    exports[f.id] = names[f.id]!;
    append(d.file, exportStyle(renderWrapper(f, d, names[f.id]!, target, crate.edition)));
    if (d.impl && d.impl.self !== "none") reachableNamed({ k: "named", key: d.impl.typeKey, text: d.impl.typeText }, named, typeKeys);
    for (const t of [...d.params.map((p) => p.type), ...d.results]) reachableNamed(t, named, typeKeys);
  }
  // State accessors (issue 12): helpers in each var's file, the exports at the end of the crate root.
  for (const g of [...(req.stateGroups ?? [])].sort((a, b) => cmp(a.group, b.group))) {
    exports[g.get.id] = g.get.export;
    exports[g.set.id] = g.set.export;
    for (const v of g.vars) {
      append(stateDetail(v).file, renderStateHelpers(v));
      for (const [file, text] of stateReexports(v, repo, crate.root)) append(file, text);
      for (const key of stateDetail(v).typeKeys) typeKeys.add(key);
    }
    append(crate.root, exportStyle(renderStateExports(g, req.analysis.types, target, crate.edition)));
  }
  for (const key of [...typeKeys].sort(cmp)) {
    const n = named[key];
    if (n) append(n.file, renderTypeImpls(n));
  }
  append(crate.root, `#[doc(hidden)]\nmod ${ABI_FILE.slice(0, -3)};\n`);

  const files = new Map<string, string>();
  const userFiles: RustBuildSpec["userFiles"] = {};
  const copies: Array<[string, string]> = [];
  for (const repoFile of crateSourceFiles(repo, crate.root)) {
    const rel = toCrate(repoFile);
    const blocks = appends.get(repoFile);
    if (!blocks) {
      copies.push([join(repo, repoFile), join(crateDir, rel)]);
      userFiles[rel] = { repoFile, lines: Number.POSITIVE_INFINITY };
      continue;
    }
    let text = await readFile(join(repo, repoFile), "utf8");
    if (!text.endsWith("\n")) text += "\n";
    userFiles[rel] = { repoFile, lines: text.split("\n").length - 1 };
    if (repoFile === crate.root) text = withPrintMacros(text);
    files.set(rel, `${text}\n${APPEND_MARK}\n\n${blocks.join("\n")}`);
  }
  const rootInCrate = toCrate(crate.root);
  const abiRel = posix.join(posix.dirname(rootInCrate), ABI_FILE);
  const plumbing = await template(target === "wasm" ? "plumbing_wasm.rs.tmpl" : "plumbing_native.rs.tmpl");
  files.set(
    abiRel,
    exportStyle(
      `${(await template("dcm_codec.rs.tmpl")).replace("{{TARGET}}", bindgen ? `${target} (wasm-bindgen)` : target)}${plumbing}${await template("output.rs.tmpl")}`.replaceAll(
        "{{NO_MANGLE}}",
        noMangle(crate.edition),
      ),
    ),
  );
  const manifest = findCargoToml(repo, crate.dir);
  files.set("Cargo.toml", renderCargoToml(crate, rootInCrate, manifest?.depsToml ?? "", target, bindgen));

  // Files of an earlier generation in the same folder must not linger.
  await rm(crateDir, { recursive: true, force: true });
  for (const [from, to] of copies) {
    await mkdir(dirname(to), { recursive: true });
    await copyFile(from, to);
  }
  let lock: string | undefined;
  try {
    lock = await readFile(join(crateAbs, "Cargo.lock"), "utf8");
    await mkdir(crateDir, { recursive: true });
    await writeFile(join(crateDir, "Cargo.lock"), lock);
  } catch {
    // no lock file: cargo resolves the dependencies
  }
  const out: GeneratedProject["files"] = [];
  for (const [rel, contents] of [...files].sort((a, b) => cmp(a[0], b[0]))) {
    await mkdir(dirname(join(crateDir, rel)), { recursive: true });
    await writeFile(join(crateDir, rel), contents);
    out.push({ path: posix.join(`rust-${target}`, "crate", rel), contents });
  }

  const crateHash = createHash("sha256").update(`${repo}\0${crate.dir}`).digest("hex").slice(0, 16);
  const spec: RustBuildSpec = {
    kind: "rust",
    specVersion: 1,
    target,
    repo,
    crateDir,
    crateHash,
    ...(req.cacheDir ? { cacheDir: req.cacheDir } : {}),
    exports,
    fragments: fragments.map((f) => ({ id: f.id, file: f.file, line: f.line, endLine: f.endLine })),
    userFiles,
    generated: [abiRel, "Cargo.toml"],
    ...(bindgen ? { bindgen } : {}),
  };
  const h = createHash("sha256");
  h.update(
    JSON.stringify({
      generator: RUST_GENERATOR_VERSION,
      target,
      profile: bindgen ? BINDGEN_PROFILE : PROFILES[target],
      bindgen: bindgen ?? null,
      toolchain: info ? `${info.version} ${info.path}` : "rust: not installed",
      inputs: [...req.analysis.inputs].sort((a, b) => cmp(a.file, b.file)),
      lock: lock ? createHash("sha256").update(lock).digest("hex") : null,
    }),
  );
  for (const [rel, text] of [...files].sort((a, b) => cmp(a[0], b[0]))) h.update(`${rel}\0${text}\0`);
  return { files: out, exports, contentKey: h.digest("hex"), buildSpec: spec };
}
