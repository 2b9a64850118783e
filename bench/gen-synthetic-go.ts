/**
 * A deterministic synthetic Go module of N files for the analysis benchmark:
 * packages of 10 files, each file ~8 KB of ordinary Go (structs with json
 * tags, constructors, methods, functions calling functions of other files,
 * stdlib imports), plus a CFD with 6 fragments in two packages (api/orders,
 * api/billing) that call helpers in other files of their package and in the
 * in-module packages internal/textutil and internal/mathutil.
 *
 * N is rounded up to whole packages (at least 50 files). Layout: internal/{textutil,mathutil} (import only the stdlib),
 * api/{orders,billing} (import both), svc/gNNN/pNNNN (groups of 5 packages;
 * each imports both internal packages and the previous package of its group).
 * The code of a package depends only on its path, so the repositories of
 * different sizes share their packages; the first line of every file names N,
 * so no two sizes share a file's content (nor a parse-cache entry).
 *
 * Run alone: `node build/bench/gen-synthetic-go.js 400` prints the folder.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { benchTmp, isMain } from "./bench-util.js";
import { CFD_YAML, codeTable, FRAGMENT_GO, type Helpers, NOUNS, unitGo } from "./synthetic-go-templates.js";

const GEN_VERSION = "synth-go-5";
const MODULE = "example.com/synth";
const FILES_PER_PKG = 10;
/** Body bytes per file (units ~2.1 KB each, then a status-code table up to this); with imports, ~8 KB. */
const TARGET_BYTES = 7700;
const INTERNAL = ["internal/textutil", "internal/mathutil"];
const API = ["api/orders", "api/billing"];

export interface SyntheticRepo {
  dir: string;
  cfd: string;
  files: number;
  bytes: number;
  reused: boolean;
}

/** mulberry32 seeded by a string. */
function rng(seed: string): () => number {
  let a = 0x811c9dc5;
  for (const ch of seed) a = Math.imul(a ^ ch.charCodeAt(0), 0x01000193);
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Pkg {
  path: string;
  name: string;
  /** In-module packages this one may call (their exported S/I/L helpers). */
  deps: string[];
}

function layout(n: number): Pkg[] {
  const pkgs: Pkg[] = [
    ...INTERNAL.map((path) => ({ path, name: path.split("/")[1]!, deps: [] })),
    ...API.map((path) => ({ path, name: path.split("/")[1]!, deps: [...INTERNAL, "svc/g000/p0000"] })),
  ];
  const features = Math.max(1, Math.ceil(n / FILES_PER_PKG) - pkgs.length);
  for (let k = 0; k < features; k++) {
    const g = Math.floor(k / 5);
    const path = `svc/g${String(g).padStart(3, "0")}/p${String(k).padStart(4, "0")}`;
    const deps = [...INTERNAL];
    if (k % 5 !== 0) deps.push(`svc/g${String(g).padStart(3, "0")}/p${String(k - 1).padStart(4, "0")}`);
    pkgs.push({ path, name: `p${String(k).padStart(4, "0")}`, deps });
  }
  return pkgs;
}

/** The files of one package: path -> contents (without the per-N first line). */
function packageFiles(pkg: Pkg, exported: Map<string, Helpers>): Map<string, string> {
  const r = rng(`${GEN_VERSION}:${pkg.path}`);
  const local: Helpers = { S: [], I: [], L: [] };
  const out = new Map<string, string>();
  const usedNames = new Set<string>();
  for (let i = 0; i < FILES_PER_PKG; i++) {
    const isFragFile = i === FILES_PER_PKG - 1 && FRAGMENT_GO[pkg.path] !== undefined;
    const fileName = isFragFile ? "fragments.go" : `${NOUNS[Math.floor(r() * NOUNS.length)]!.toLowerCase()}_${i}.go`;
    const used = new Set<string>();
    // Earlier files of the package, or an in-module dependency (30%).
    const pick = (shape: keyof Helpers): string => {
      const deps = pkg.deps.filter((d) => exported.get(d));
      if ((local[shape].length === 0 || r() < 0.3) && deps.length > 0) {
        const d = deps[Math.floor(r() * deps.length)]!;
        const list = exported.get(d)![shape];
        used.add(d);
        return `${d.split("/").pop()}.${list[Math.floor(r() * list.length)]}`;
      }
      if (local[shape].length === 0) return shape === "S" ? "strings.TrimSpace" : shape === "I" ? "abs" : "len";
      return local[shape][Math.floor(r() * local[shape].length)]!;
    };
    let body = "";
    const before: Helpers = { S: [...local.S], I: [...local.I], L: [...local.L] };
    if (isFragFile) {
      body += FRAGMENT_GO[pkg.path]!((shape, qual) => {
        if (!qual) return before[shape][Math.floor(r() * before[shape].length)]!;
        const d = INTERNAL.find((p) => p.endsWith(`/${qual}`))!;
        used.add(d);
        const list = exported.get(d)![shape];
        return `${qual}.${list[Math.floor(r() * list.length)]}`;
      });
      body += "\n";
    }
    for (let u = 0; body.length + 2100 < TARGET_BYTES; u++) {
      let T: string;
      do T = `${NOUNS[Math.floor(r() * NOUNS.length)]}${i}${u}${usedNames.size}`;
      while (usedNames.has(T));
      usedNames.add(T);
      body += unitGo(T, r, local, pick);
    }
    body += codeTable(`describe${i}${usedNames.size}`, r, TARGET_BYTES - body.length);
    // Only the first file of an internal package (nothing to call yet) falls back to abs.
    if (/[^.\w]abs\(/.test(body)) body += "func abs(n int) int {\n\tif n < 0 {\n\t\treturn -n\n\t}\n\treturn n\n}\n";
    const std = ["errors", "fmt", "sort", "strconv", "strings"].map((s) => `\t"${s}"`).join("\n");
    const mod = [...used]
      .sort()
      .map((d) => `\t"${MODULE}/${d}"`)
      .join("\n");
    const imports = `import (\n${std}\n${mod ? `\n${mod}\n` : ""})\n`;
    const doc = i === 0 ? `// Package ${pkg.name} is generated for dcm's analysis benchmark.\n` : "";
    out.set(`${pkg.path}/${fileName}`, `${doc}package ${pkg.name}\n\n${imports}\n${body.trimEnd()}\n`);
  }
  exported.set(pkg.path, local);
  return out;
}

/** Creates (or reuses, when its stamp matches) the synthetic repository of n files. */
export async function ensureSyntheticRepo(n: number): Promise<SyntheticRepo> {
  const dir = benchTmp("synth-go", `n${n}-${GEN_VERSION}`);
  const stampFile = join(dir, ".dcm-bench-stamp");
  const cfd = join(dir, "dcm.yaml");
  if (existsSync(stampFile)) {
    try {
      const s = JSON.parse(readFileSync(stampFile, "utf8")) as {
        version: string;
        n: number;
        files: number;
        bytes: number;
      };
      if (s.version === GEN_VERSION && s.n === n) return { dir, cfd, files: s.files, bytes: s.bytes, reused: true };
    } catch {
      // regenerate
    }
  }
  await rm(dir, { recursive: true, force: true });
  const exported = new Map<string, Helpers>();
  const all = new Map<string, string>();
  // Dependencies first: internal, then the group's chain (p0000 before the api packages).
  const pkgs = layout(n);
  const order = [...pkgs.slice(0, 2), ...pkgs.slice(4), ...pkgs.slice(2, 4)];
  for (const pkg of order) for (const [p, text] of packageFiles(pkg, exported)) all.set(p, text);
  const hash = createHash("sha256");
  let bytes = 0;
  const entries = [...all].sort(([a], [b]) => (a < b ? -1 : 1));
  for (let i = 0; i < entries.length; i += 200) {
    await Promise.all(
      entries.slice(i, i + 200).map(async ([p, text]) => {
        const contents = `// Code generated by bench/gen-synthetic-go.ts for N=${n}. DO NOT EDIT.\n\n${text}`;
        bytes += Buffer.byteLength(contents);
        await mkdir(dirname(join(dir, p)), { recursive: true });
        await writeFile(join(dir, p), contents);
      }),
    );
  }
  for (const [p, text] of entries) hash.update(p).update(text);
  await writeFile(join(dir, "go.mod"), `module ${MODULE}\n\ngo 1.24\n`);
  await writeFile(cfd, CFD_YAML);
  const stamp = { version: GEN_VERSION, n, files: all.size, bytes, sha256: hash.digest("hex") };
  await writeFile(stampFile, `${JSON.stringify(stamp)}\n`);
  return { dir, cfd, files: all.size, bytes, reused: false };
}

if (isMain(import.meta.url)) {
  const n = Number(process.argv[2] ?? 100);
  const repo = await ensureSyntheticRepo(n);
  console.log(
    `${repo.dir}: ${repo.files} .go files, ${(repo.bytes / 1e6).toFixed(1)} MB${repo.reused ? " (reused)" : ""}`,
  );
}
