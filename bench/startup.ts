/**
 * Start-up and analysis speed of the `dcm` CLI (issue 8, section 6), each
 * figure side by side with a baseline measured in the same run, commands
 * started round-robin by a Go runner (bench/startup-baselines.ts) that takes
 * wall time and the child's CPU time (user + system) from the kernel:
 *
 *  1. `dcm --help` against `node -e 0` (target ≤ 1.5×);
 *  2. `dcm analyze` of small repositories — the paper's google/wire v0.5.0
 *     (Go module proxy) with its paper CFD, and examples/paper-webserver —
 *     against `golist`, a bare Go binary that lists the same files (target
 *     ≤ 2×), and `goparse`, which also parses every .go file with go/parser
 *     (what the paper's reference analyser does). `dcm analyze` runs with its
 *     parse cache on disk warm (the usual case: a second run on unchanged
 *     files) and with DCM_PARSE_CACHE=0 (every run parses), which answers
 *     whether loading the cache beats parsing the few files analysis touches;
 *  3. terraform v1.3.9 (Go module proxy) with its paper CFD: the analysis in
 *     this process (fresh parse cache, JIT warm) against tree-sitter-parsing
 *     every .go file of the repository in this process (target ≤ 1/10), as
 *     bench/analysis-scaling.ts does for synthetic repositories; the CLI
 *     end to end is shown too.
 *
 * Node's own start-up is the floor of every `dcm` command: where it alone
 * exceeds a target's budget, the bench says so with the numbers.
 *
 * Run: `npm run build && node build/bench/startup.js [--reps N]`.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { listRepoFiles } from "../src/cfd/resolve-files.js";
import { projectRoot } from "../src/core/paths.js";
import { allExtensions } from "../src/languages/registry.js";
import { analyzeFresh, parseAll } from "./analysis-scaling.js";
import {
  banner,
  benchTmp,
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
import { proxyRepo } from "./paper-repos.js";
import { type Baselines, buildBaselines, measure, type Sample } from "./startup-baselines.js";

const ROOT = projectRoot();
const DCM = join(ROOT, "bin", "dcm.js");
const PAPER_CFDS = join(ROOT, "test", "unit", "cfd", "fixtures", "paper");
const CACHE = benchTmp("startup-cache");

interface Repo {
  name: string;
  dir: string;
  cfd: string;
}

interface Row {
  what: string;
  wall: Stats;
  cpu: Stats;
}

function rowOf(what: string, samples: Sample[] | undefined): Row {
  if (!samples || samples.length === 0) throw new Error(`no samples for ${what}`);
  const failed = samples.filter((s) => s.code !== 0);
  if (failed.length > 0)
    throw new Error(`${what} exited ${failed[0]!.code} in ${failed.length} of ${samples.length} runs`);
  return { what, wall: stats(samples.map((s) => s.wallMs)), cpu: stats(samples.map((s) => s.cpuMs)) };
}

function printRows(rows: Row[], base: Row): void {
  printTable(
    ["command", "wall ms", "CPU ms", `wall / ${base.what}`, `CPU / ${base.what}`],
    rows.map((r) => [
      r.what,
      fmtSpread(r.wall, fmtMs),
      fmtSpread(r.cpu, fmtMs),
      fmtRatio(r.wall.median / base.wall.median),
      fmtRatio(r.cpu.median / base.cpu.median),
    ]),
  );
}

/** A module from the Go module proxy (bench/paper-repos.ts), or null with the reason printed. */
async function fetched(module: string, version: string): Promise<string | null> {
  try {
    return await proxyRepo(module, version);
  } catch (e) {
    console.log(`skipped ${module} ${version}: ${(e as Error).message.split("\n")[0]}`);
    return null;
  }
}

async function smallRepos(): Promise<Repo[]> {
  const repos: Repo[] = [];
  const wire = await fetched("github.com/google/wire", "v0.5.0");
  if (wire) repos.push({ name: "wire", dir: wire, cfd: join(PAPER_CFDS, "CFD_wire.yaml") });
  const web = join(ROOT, "examples", "paper-webserver");
  repos.push({ name: "paper-webserver", dir: web, cfd: join(web, "CFD.yaml") });
  return repos;
}

/** The baseline lists exactly the files dcm's walk lists: checked, not assumed. */
async function checkSameFiles(golist: string, repo: string, exts: string): Promise<number> {
  const go = execFileSync(golist, [repo, exts], { encoding: "utf8" }).split("\n").filter(Boolean);
  const ours = await listRepoFiles(repo, exts.split(","));
  if (JSON.stringify(go) !== JSON.stringify(ours))
    throw new Error(`golist and dcm's walk disagree on ${repo}: ${go.length} vs ${ours.length} files`);
  return ours.length;
}

const analyzeArgv = (r: Repo) => ["node", DCM, "analyze", r.dir, "--cfd", r.cfd];
const cacheEnv = [`DCM_CACHE_DIR=${CACHE}`];
const noCacheEnv = [`DCM_CACHE_DIR=${CACHE}`, "DCM_PARSE_CACHE=0"];

export async function main(reps = 21): Promise<void> {
  banner("startup", "dcm CLI start-up and analysis vs node -e 0, bare Go binaries, and a full tree-sitter parse");
  if (!existsSync(join(ROOT, "build", "cli", "dcm.js")))
    throw new Error("build/cli/dcm.js is missing: run `npm run build`");
  const exts = allExtensions().join(",");
  let bin: Baselines | undefined;
  try {
    bin = await buildBaselines();
    await rm(CACHE, { recursive: true, force: true });
    await mkdir(CACHE, { recursive: true });

    // 1 and 2: one round-robin over every command, so that all share the machine's load.
    const repos = await smallRepos();
    const commands = [
      { name: "node -e 0", argv: ["node", "-e", "0"] },
      { name: "dcm --help", argv: ["node", DCM, "--help"] },
      ...repos.flatMap((r) => [
        { name: `golist ${r.name}`, argv: [bin!.golist, r.dir, exts] },
        { name: `goparse ${r.name}`, argv: [bin!.goparse, r.dir, exts] },
        { name: `dcm analyze ${r.name}`, argv: analyzeArgv(r), env: cacheEnv },
        { name: `dcm analyze ${r.name}, DCM_PARSE_CACHE=0`, argv: analyzeArgv(r), env: noCacheEnv },
      ]),
    ];
    console.log(`${commands.length} commands, ${reps} rounds (2 warm-up rounds fill the parse cache)…`);
    const samples = await measure(bin.measure, commands, reps, 2);
    const node0 = rowOf("node -e 0", samples["node -e 0"]);
    const help = rowOf("dcm --help", samples["dcm --help"]);

    console.log("\n1. Start-up (usage path)");
    printRows([node0, help], node0);
    verdict(
      help.wall.median <= 1.5 * node0.wall.median,
      "dcm --help ≤ 1.5× node -e 0",
      `${fmtRatio(help.wall.median / node0.wall.median)} wall (${fmtMs(help.wall.median)} vs ${fmtMs(node0.wall.median)}), ` +
        `${fmtRatio(help.cpu.median / node0.cpu.median)} CPU`,
    );

    console.log("\n2. dcm analyze of small repositories");
    for (const r of repos) {
      const list = rowOf(`golist ${r.name}`, samples[`golist ${r.name}`]);
      const parse = rowOf(`goparse ${r.name}`, samples[`goparse ${r.name}`]);
      const warm = rowOf(`dcm analyze ${r.name}`, samples[`dcm analyze ${r.name}`]);
      const cold = rowOf(
        `dcm analyze ${r.name}, DCM_PARSE_CACHE=0`,
        samples[`dcm analyze ${r.name}, DCM_PARSE_CACHE=0`],
      );
      console.log(
        `\n${r.name} (${r.dir}; ${await checkSameFiles(bin.golist, r.dir, exts)} files listed by golist and dcm alike)`,
      );
      printRows([list, parse, node0, warm, cold], list);
      const floor = node0.wall.median / list.wall.median;
      verdict(
        warm.wall.median <= 2 * list.wall.median,
        `dcm analyze ${r.name} ≤ 2× golist`,
        `${fmtRatio(warm.wall.median / list.wall.median)} wall (${fmtMs(warm.wall.median)} vs ${fmtMs(list.wall.median)}); ` +
          `${fmtRatio(warm.wall.median / parse.wall.median)} goparse; node -e 0 alone is ${fmtRatio(floor)} golist` +
          (floor > 2 ? " (Node's start-up alone exceeds the budget)" : "") +
          `; dcm's own share above node -e 0: ${fmtMs(warm.wall.median - node0.wall.median)} wall, ${fmtMs(warm.cpu.median - node0.cpu.median)} CPU`,
      );
      console.log(
        `  persisted parse cache: ${fmtMs(warm.wall.median)} warm vs ${fmtMs(cold.wall.median)} parsing ` +
          `(${fmtRatio(cold.wall.median / warm.wall.median)} wall, ${fmtRatio(cold.cpu.median / warm.cpu.median)} CPU)`,
      );
    }

    await terraform(bin, exts, Math.max(5, Math.ceil(reps / 3)));
  } finally {
    if (bin) await rm(bin.dir, { recursive: true, force: true });
  }
}

/** 3: terraform, in-process analysis against a full parse, and the CLI end to end. */
async function terraform(bin: Baselines, exts: string, reps: number): Promise<void> {
  console.log("\n3. terraform v1.3.9");
  const tf = await fetched("github.com/hashicorp/terraform", "v1.3.9");
  if (!tf) return;
  const repo: Repo = { name: "terraform", dir: tf, cfd: join(PAPER_CFDS, "CFD_terraform.yaml") };
  const first = await timeMs(() => analyzeFresh(repo.dir, repo.cfd), 1);
  const result = await analyzeFresh(repo.dir, repo.cfd);
  const errors = result.diagnostics.filter((d) => d.severity === "error");
  if (errors.length > 0) throw new Error(`terraform analysis failed: ${errors.map((d) => d.message).join("; ")}`);
  const analysis = await timeMs(() => analyzeFresh(repo.dir, repo.cfd), reps, 1);
  let nodes = 0;
  const full: Stats = await timeMs(() => (nodes = parseAll(repo.dir)), Math.min(reps, 5), 1);
  console.log(
    `in this process: analysis parses ${result.filesParsed} files and hashes ${result.inputs.length} build inputs; ` +
      `the full parse visits every .go file (${nodes} top-level nodes)`,
  );
  printTable(
    ["in this process", "ms", "/ full parse"],
    [
      ["analysis, first call (tree-sitter loads, JIT cold)", fmtMs(first.median), fmtRatio(first.median / full.median)],
      ["analysis, fresh parse cache", fmtSpread(analysis, fmtMs), fmtRatio(analysis.median / full.median)],
      ["full parse (tree-sitter, every .go file)", fmtSpread(full, fmtMs), "1.00×"],
    ],
  );
  verdict(
    analysis.median <= full.median / 10,
    "terraform analysis ≤ 1/10 of a full parse",
    `${fmtRatio(analysis.median / full.median)} (${fmtMs(analysis.median)} vs ${fmtMs(full.median)})`,
  );

  const samples = await measure(
    bin.measure,
    [
      { name: "node -e 0", argv: ["node", "-e", "0"] },
      { name: "golist terraform", argv: [bin.golist, repo.dir, exts] },
      { name: "goparse terraform", argv: [bin.goparse, repo.dir, exts] },
      { name: "dcm analyze terraform", argv: analyzeArgv(repo), env: cacheEnv },
      { name: "dcm analyze terraform, DCM_PARSE_CACHE=0", argv: analyzeArgv(repo), env: noCacheEnv },
    ],
    reps,
    1,
  );
  const rows = Object.entries(samples).map(([k, v]) => rowOf(k, v));
  console.log(
    `\nthe CLI end to end (a process each; ${await checkSameFiles(bin.golist, repo.dir, exts)} files listed by golist and dcm alike)`,
  );
  printRows(rows, rows.find((r) => r.what === "goparse terraform")!);
  const cli = rows.find((r) => r.what === "dcm analyze terraform")!;
  console.log(
    `dcm analyze terraform, whole process: ${fmtRatio(cli.wall.median / full.median)} of the in-process full parse ` +
      `(${fmtMs(cli.wall.median)} vs ${fmtMs(full.median)})`,
  );
}

if (isMain(import.meta.url)) {
  const i = process.argv.indexOf("--reps");
  await main(i > 0 ? Number(process.argv[i + 1]) : undefined);
}
