/**
 * Analysis + generation time against repository size. For synthetic Go
 * modules of 100 to 5,000 files (bench/gen-synthetic-go.ts) with the same 6
 * fragments: dcm's analysis (analyzeProject) and the Go generator for both
 * targets (no compilation), against a baseline measured in the same run:
 * reading and tree-sitter-parsing EVERY .go file, the floor of an analysis
 * that parses the whole codebase (as the paper's does).
 *
 * Rows per size:
 *  - cold 1st: the first analyzeProject call on that repository in this
 *    process (its parse cache empty: each size has different file contents),
 *    then the first generation; single samples;
 *  - cold: the same pipeline as analyzeProject (CFD, file walk, resolution,
 *    adapter.analyze) with a fresh parse cache each time, median of REPS;
 *  - warm: analyzeProject again (parse cache full), median of REPS.
 * Process-wide one-time costs (tree-sitter, queries, templates, `go version`)
 * are paid first on examples/go-shop, so they do not land on the first size.
 *
 * Run: `npm run build && node build/bench/analysis-scaling.js [sizes…]`.
 */
import { readdirSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { parseGo } from "../languages/go/analysis/go-parser.js";
import { analyzeProject } from "../src/build/analyze-project.js";
import { loadCfdFile } from "../src/cfd/load-cfd.js";
import { listRepoFiles, resolveFragmentFiles } from "../src/cfd/resolve-files.js";
import type { AnalysisResult } from "../src/languages/adapter-types.js";
import { allExtensions, loadAdapter } from "../src/languages/registry.js";
import {
  banner,
  benchTmp,
  EXAMPLE_CFD,
  EXAMPLE_REPO,
  fmtMs,
  fmtRatio,
  fmtSpread,
  isMain,
  printTable,
  type Stats,
  stats,
  timeMs,
  verdict,
} from "./bench-util.js";
import { ensureSyntheticRepo } from "./gen-synthetic-go.js";

const SIZES = [100, 400, 1200, 5000];
const REPS = 9;
const go = (await loadAdapter("go"))!;

/** analyzeProject's steps (Go fragments only) with a parse cache of its own (so every call parses). */
export async function analyzeFresh(repo: string, cfdPath: string): Promise<AnalysisResult> {
  const { cfd } = await loadCfdFile(cfdPath);
  if (!cfd) throw new Error(`${cfdPath}: invalid CFD`);
  const resolved = resolveFragmentFiles(cfd, await listRepoFiles(repo, allExtensions()));
  const nameOf = new Map(cfd.fragments.map((f) => [f.id, f.name]));
  const fragments = cfd.fragments.map((f) => {
    const hints = (f.dependsOn ?? []).flatMap((id) => nameOf.get(id) ?? []);
    return { ...f, file: resolved.resolved.get(f.id)!, ...(hints.length ? { receiverHints: hints } : {}) };
  });
  return go.analyze({ repo, fragments, cache: new Map() });
}

/** analyzeProject; `walks` collects the time of its repository walk (listRepoFiles + resolution). */
async function analyzeOnce(repo: string, cfdPath: string, walks?: number[]): Promise<AnalysisResult> {
  const a = await analyzeProject(repo, cfdPath);
  walks?.push(a.timings.filesMs);
  const errors = a.diagnostics.filter((d) => d.severity === "error");
  if (errors.length > 0 || a.languages.length !== 1) {
    throw new Error(`analysis of ${repo} failed:\n${errors.map((d) => `${d.code} ${d.message}`).join("\n")}`);
  }
  return a.languages[0]!.result;
}

/** adapter.generate for wasm (client) and native (server) into a scratch workDir. */
async function generateBoth(repo: string, analysis: AnalysisResult): Promise<void> {
  const root = benchTmp("work");
  await mkdir(root, { recursive: true });
  for (const [target, side] of [
    ["wasm", "client"],
    ["native", "server"],
  ] as const) {
    const workDir = await mkdtemp(join(root, `gen-${target}-`));
    await go.generate({ repo, analysis, fragments: analysis.fragments, side, workDir }, target);
    await rm(workDir, { recursive: true, force: true });
  }
}

/** The baseline: read and parse every .go file of the repository. */
export function parseAll(repo: string): number {
  const files = readdirSync(repo, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".go"));
  let nodes = 0;
  for (const f of files) nodes += parseGo(readFileSync(join(repo, f), "utf8")).rootNode.childCount;
  return nodes;
}

interface Row {
  n: number;
  mb: number;
  parsed: number;
  inputs: number;
  cold1: number;
  gen1: number;
  cold: Stats;
  gen: Stats;
  total: Stats;
  warm: Stats;
  walk: number;
  base: Stats;
  /** CPU time (user + system, all threads of this process): insensitive to other processes' load. */
  cpu: Stats;
  baseCpu: Stats;
}

function cpuMs(since: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1000;
}

export async function main(sizes = SIZES): Promise<void> {
  banner(
    "analysis-scaling",
    "dcm analysis + generation (6 fragments, no compilation) vs parsing every .go file with tree-sitter-go",
  );
  // Pay the process-wide one-time costs on another repository.
  const tInit = performance.now();
  await generateBoth(EXAMPLE_REPO, await analyzeOnce(EXAMPLE_REPO, EXAMPLE_CFD));
  console.log(
    `One-time process init (first analysis + generation of examples/go-shop): ${fmtMs(performance.now() - tInit)}`,
  );
  await analyzeFresh(EXAMPLE_REPO, EXAMPLE_CFD);
  parseAll(join(EXAMPLE_REPO, "mathx"));

  // All of dcm's measurements first, then the baseline: parsing everything leaves much garbage
  // (tree-sitter trees freed by finalizers) whose collection would land on the next size's figures.
  const rows: Row[] = [];
  const repos: string[] = [];
  for (const n of sizes) {
    const t = performance.now();
    const repo = await ensureSyntheticRepo(n);
    repos.push(repo.dir);
    const how = repo.reused ? "reused" : `generated in ${fmtMs(performance.now() - t)}`;
    console.log(`N=${n}: ${repo.files} files, ${(repo.bytes / 1e6).toFixed(1)} MB (${how}) at ${repo.dir}`);

    // JIT warm-up on synthetic code, through a private parse cache (analyzeProject's stays empty).
    if (rows.length === 0) await generateBoth(repo.dir, await analyzeFresh(repo.dir, repo.cfd));
    let t0 = performance.now();
    const first = await analyzeOnce(repo.dir, repo.cfd);
    const cold1 = performance.now() - t0;
    t0 = performance.now();
    await generateBoth(repo.dir, first);
    const gen1 = performance.now() - t0;

    const coldS: number[] = [];
    const genS: number[] = [];
    const totalS: number[] = [];
    const cpuS: number[] = [];
    for (let i = 0; i < REPS; i++) {
      const c0 = process.cpuUsage();
      t0 = performance.now();
      const a = await analyzeFresh(repo.dir, repo.cfd);
      const t1 = performance.now();
      await generateBoth(repo.dir, a);
      const t2 = performance.now();
      coldS.push(t1 - t0);
      genS.push(t2 - t1);
      totalS.push(t2 - t0);
      cpuS.push(cpuMs(c0));
    }
    const walks: number[] = [];
    const warm = await timeMs(() => analyzeOnce(repo.dir, repo.cfd, walks), REPS, 1);
    const cold = stats(coldS);
    const gen = stats(genS);
    rows.push({
      n: repo.files,
      mb: repo.bytes / 1e6,
      parsed: first.filesParsed,
      inputs: first.inputs.length,
      cold1,
      gen1,
      cold,
      gen,
      total: stats(totalS),
      warm,
      walk: stats(walks).median,
      cpu: stats(cpuS),
      base: stats([Number.NaN]),
      baseCpu: stats([Number.NaN]),
    });
    console.log(`  analysis cold ${fmtSpread(cold, fmtMs)}, generation ${fmtSpread(gen, fmtMs)}`);
  }
  for (const [i, row] of rows.entries()) {
    const reps = row.n >= 5000 ? 3 : 5;
    const baseCpu: number[] = [];
    row.base = await timeMs(
      () => {
        const c0 = process.cpuUsage();
        parseAll(repos[i]!);
        baseCpu.push(cpuMs(c0));
      },
      reps,
      row.n >= 5000 ? 0 : 1,
    );
    row.baseCpu = stats(baseCpu.slice(-reps));
    console.log(`N=${row.n}: parse-all ${fmtSpread(row.base, fmtMs)}`);
  }

  console.log(
    "\nms: median [min–max] of repetitions; 'cold 1st' is a single sample; 'walk' is the repository walk inside " +
      "the warm analysis (the only step that visits every file). Ratio = ours cold total / parse-all.",
  );
  printTable(
    [
      "files",
      "MB",
      "parsed",
      "inputs",
      "cold 1st a+g",
      "cold analysis",
      "generate w+n",
      "cold total",
      "warm analysis",
      "walk",
      "parse-all (baseline)",
      "ours/base",
    ],
    rows.map((r) => [
      String(r.n),
      r.mb.toFixed(1),
      String(r.parsed),
      String(r.inputs),
      fmtMs(r.cold1 + r.gen1),
      fmtSpread(r.cold, fmtMs),
      fmtSpread(r.gen, fmtMs),
      fmtMs(r.total.median),
      fmtSpread(r.warm, fmtMs),
      fmtMs(r.walk),
      fmtSpread(r.base, fmtMs),
      fmtRatio(r.total.median / r.base.median),
    ]),
  );

  console.log("\nThe same in CPU time (user + system of this process; other processes' load does not count)");
  printTable(
    ["files", "ours cold total, CPU", "parse-all, CPU", "ours/base"],
    rows.map((r) => [
      String(r.n),
      fmtSpread(r.cpu, fmtMs),
      fmtSpread(r.baseCpu, fmtMs),
      fmtRatio(r.cpu.median / r.baseCpu.median),
    ]),
  );

  const lo = rows[0];
  const hi = rows[rows.length - 1];
  if (lo && hi && hi !== lo) {
    const growth = hi.total.median / lo.total.median;
    const baseGrowth = hi.base.median / lo.base.median;
    console.log(
      `\nGrowth ${lo.n} -> ${hi.n} files (${fmtRatio(hi.n / lo.n)} the files): ours cold total ${fmtRatio(growth)}, ` +
        `warm ${fmtRatio(hi.warm.median / lo.warm.median)}, files parsed ${lo.parsed} -> ${hi.parsed}; parse-all ${fmtRatio(baseGrowth)}.`,
    );
    verdict(
      growth < 2,
      `flat: ours at ${hi.n} files < 2× ours at ${lo.n}`,
      `${fmtRatio(growth)} wall, ${fmtRatio(hi.cpu.median / lo.cpu.median)} CPU`,
    );
  }
  const at1200 = rows.find((r) => r.n === 1200);
  if (at1200) {
    verdict(
      at1200.total.median < 200,
      "analysis + generation at 1,200 files < 200 ms (paper: ~1.7 s)",
      `${fmtMs(at1200.total.median)} cold median (min ${fmtMs(at1200.total.min)}, CPU ${fmtMs(at1200.cpu.median)}), ` +
        `${fmtMs(at1200.cold1 + at1200.gen1)} first call`,
    );
  }
}

if (isMain(import.meta.url)) {
  const args = process.argv
    .slice(2)
    .map(Number)
    .filter((x) => x > 0);
  await main(args.length > 0 ? args : SIZES);
}
