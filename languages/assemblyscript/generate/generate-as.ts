/**
 * Generates the AssemblyScript project for one module: the user's files
 * copied under src/ (the user's repository is never written), dcm_abi.ts
 * (buffers, reader/writer, abort) and entry.ts (codecs and one export per
 * fragment, docs/abi.md), plus the state accessors of GenerateRequest.stateGroups
 * (state-accessors.ts). Deterministic: the output is the cache key.
 */
import { createHash } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { projectRoot } from "../../../src/core/paths.js";
import type { GeneratedProject, GenerateRequest } from "../../../src/languages/adapter-types.js";
import { compareIds as cmp, exportNames, isCallableFragment as isCallable } from "../../../src/languages/kit/abi-exports.js";
import type { AsAnalysisDetail, AsFragmentDetail } from "../as-types.js";
import { ASC_FLAGS, type AsBuildSpec, SRC_DIR } from "./build-spec.js";
import { CodecGen } from "./codec-gen.js";
import { stateAccessorCode } from "./state-accessors.js";

/** Version of the generated code's shape; part of the content key. */
export const AS_GENERATOR_VERSION = 2;

export interface GenerateAsOptions {
  /** asc version, part of the content key. */
  ascVersion: string;
}

const ABI_IMPORTS = [
  "dcmAbiVersion",
  "dcmStatusPtr",
  "dcmIn",
  "dcmOut",
  "dcmBegin",
  "dcmBeginScalar",
  "dcmEnd",
  "dcmInputBad",
  "dcmBadArguments",
  "dcmReadCount",
  "dcmReadBool",
  "dcmReadTag",
  "dcmReadI8",
  "dcmReadU8",
  "dcmReadI16",
  "dcmReadU16",
  "dcmReadI32",
  "dcmReadU32",
  "dcmReadI64",
  "dcmReadU64",
  "dcmReadF32",
  "dcmReadF64",
  "dcmReadString",
  "dcmReadBytes",
  "dcmWriteBool",
  "dcmWriteI8",
  "dcmWriteU8",
  "dcmWriteI16",
  "dcmWriteU16",
  "dcmWriteI32",
  "dcmWriteU32",
  "dcmWriteI64",
  "dcmWriteU64",
  "dcmWriteF32",
  "dcmWriteF64",
  "dcmWriteString",
  "dcmWriteBytes",
  "dcmCompareStrings",
];


export async function generateAs(req: GenerateRequest, opts: GenerateAsOptions): Promise<GeneratedProject> {
  const detail = req.analysis.detail as AsAnalysisDetail;
  const projectDir = join(req.workDir, "as-wasm");
  const allExports = exportNames(req.analysis.fragments);
  const frags = req.fragments.filter(isCallable).sort((a, b) => cmp(a.id, b.id));

  // Local names of the user's symbols in entry.ts: classes by record name, functions numbered.
  const imports = new Map<string, Map<string, string>>(); // file -> name -> alias
  const importAs = (file: string, name: string, alias: string): string => {
    let m = imports.get(file);
    if (!m) {
      m = new Map();
      imports.set(file, m);
    }
    if (!m.has(name)) m.set(name, alias);
    return m.get(name)!;
  };
  const classAlias = (key: string): string => {
    const c = detail.classes[key]!;
    return importAs(c.file, c.name, `T_${c.name}`);
  };
  const codecs = new CodecGen(detail.classes, classAlias);

  const wrappers: string[] = [];
  const exports: Record<string, string> = {};
  frags.forEach((f, i) => {
    const d = f.detail as AsFragmentDetail;
    const name = allExports[f.id]!;
    exports[f.id] = name;
    let callee: string;
    if (f.kind === "method") {
      const cls = f.symbol.slice(0, f.symbol.indexOf("."));
      callee = d.receiver ? `a0.${d.funcName}` : `${importAs(d.file, cls, `S${i}_${cls}`)}.${d.funcName}`;
    } else callee = importAs(d.file, d.funcName, `F${i}_${d.funcName}`);
    wrappers.push(`// ${f.id}: ${f.symbol} (${f.file}:${f.line})`);
    const base = d.receiver ? 1 : 0;
    const argNames = d.params.map((_, j) => `a${j + base}`);
    if (f.abi === "scalar") {
      const params = d.params.map((p, j) => `${argNames[j]}: ${codecs.asType(p.type)}`).join(", ");
      const ret = d.result ? codecs.asType(d.result) : "void";
      wrappers.push(
        `export function ${name}(${params}): ${ret} {`,
        "  dcmBeginScalar();",
        `  ${d.result ? "return " : ""}${callee}(${argNames.join(", ")});`,
        "}",
        "",
      );
      return;
    }
    wrappers.push(`export function ${name}(len: i32): i32 {`, "  dcmBegin(len);");
    if (d.receiver) wrappers.push(`  const a0 = ${codecs.read({ k: "class", key: d.receiver })};`);
    d.params.forEach((p, j) => {
      wrappers.push(`  const ${argNames[j]} = ${codecs.read(p.type)};`);
    });
    wrappers.push("  if (dcmInputBad()) return dcmBadArguments();");
    const call = `${callee}(${argNames.join(", ")})`;
    if (d.result) wrappers.push(`  const r = ${call};`, "  dcmWriteU8(0);", `  ${codecs.write(d.result, "r")}`);
    else wrappers.push(`  ${call};`, "  dcmWriteU8(0);");
    wrappers.push("  return dcmEnd();", "}", "");
  });

  const state = stateAccessorCode(req.stateGroups ?? [], codecs, detail.classes, importAs);
  Object.assign(exports, state.exports);

  const importLines = [...imports.keys()].sort(cmp).map((file) => {
    const names = [...imports.get(file)!].sort((a, b) => cmp(a[1], b[1]));
    const spec = `./${SRC_DIR}/${file.replace(/\.ts$/, "")}`;
    return `import { ${names.map(([n, a]) => `${n} as ${a}`).join(", ")} } from "${spec}";`;
  });
  const codecText = codecs.code();
  const entry = [
    "// dcm entry module for AssemblyScript fragments. Generated by dcm; do not edit.",
    `import {\n${ABI_IMPORTS.map((n) => `  ${n},`).join("\n")}\n} from "./dcm_abi";`,
    ...importLines,
    "",
    "export function dcm_abi_version(): i32 {\n  return dcmAbiVersion();\n}",
    "export function dcm_status_ptr(): usize {\n  return dcmStatusPtr();\n}",
    "export function dcm_in(len: i32): usize {\n  return dcmIn(len);\n}",
    "export function dcm_out(): usize {\n  return dcmOut();\n}",
    "",
    "// ---- codecs ----",
    codecText,
    "",
    "// ---- fragments ----",
    ...wrappers,
    ...(state.wrappers.length ? ["// ---- state accessors ----", ...state.wrappers] : []),
  ].join("\n");

  const abi = await readFile(
    join(projectRoot(), "languages", "assemblyscript", "templates", "dcm_abi.ts.tmpl"),
    "utf8",
  );
  const files: Array<{ path: string; contents: string }> = [
    { path: "as-wasm/dcm_abi.ts", contents: abi },
    { path: "as-wasm/entry.ts", contents: entry },
  ];
  for (const file of detail.sourceFiles) {
    const text = await readFile(join(req.repo, file), "utf8");
    const extra = state.appends.get(file);
    files.push({ path: `as-wasm/${SRC_DIR}/${file}`, contents: extra ? `${text}${text.endsWith("\n") ? "" : "\n"}${extra}\n` : text });
  }
  const flags = [...ASC_FLAGS];
  for (const f of files) {
    const abs = join(req.workDir, f.path);
    await mkdir(dirname(abs), { recursive: true });
    await writeFile(abs, f.contents);
  }
  const h = createHash("sha256");
  h.update(JSON.stringify({ generator: AS_GENERATOR_VERSION, asc: opts.ascVersion, flags }));
  for (const f of [...files].sort((a, b) => cmp(a.path, b.path))) h.update(`${f.path}\0${f.contents}\0`);
  const spec: AsBuildSpec = {
    kind: "assemblyscript",
    projectDir,
    repo: req.repo,
    flags,
    sourceFiles: detail.sourceFiles,
    fragments: req.fragments.map((f) => ({ id: f.id, file: f.file, line: f.line, endLine: f.endLine })),
  };
  return { files, exports, contentKey: h.digest("hex"), buildSpec: spec };
}
