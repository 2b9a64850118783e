/**
 * `dcm build` of hashicorp/terraform v1.3.9 (the module the paper evaluated,
 * fetched through the Go module proxy with `go mod download` and copied to a
 * writable folder) with the paper's CFD verbatim (fixtures/CFD_terraform.yaml:
 * `ModulePath` in internal/command, the stringer method `Status.String` in
 * internal/checks with its type and name tables). Before closure extraction
 * this build failed: dcm compiled the two whole packages, and files of
 * internal/command import modules that do not build for wasip1.
 *
 * Timed: cold (empty dcm cache; Go's own build cache as it is) and warm (the
 * same dcm cache, after an edit of a fragment's file), printed next to the
 * paper's 7.1 s. Baselines of the same run: `go list -deps` of the two
 * packages (loading them) and a plain `go build` of them for wasip1 (which
 * fails, and the output says how).
 *
 * If the CFD does not load (a dcm without the paper dialect), an equivalent
 * CFD in dcm's own dialect is used and the output says so.
 *
 * Run: `npm run build && node build/bench/terraform-build.js` (network on the
 * first run: the module proxy).
 */
import { execFile } from "node:child_process";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { analyzeProject } from "../src/build/analyze-project.js";
import { buildDist } from "../src/build/build-dist.js";
import { extractClosure } from "../languages/go/generate/extract.js";
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
  verdict,
} from "./bench-util.js";
import { paperCfd, proxyRepo } from "./paper-repos.js";

const run = promisify(execFile);
const VERSION = "v1.3.9";
const PAPER_MS = 7100;
const REPS = 3;
const PKGS = ["./internal/command", "./internal/checks"];
/** The paper's CFD in dcm's own dialect (string ids, `Type.Method`), for a dcm that cannot load the paper dialect. */
const EQUIVALENT_CFD = `fragments:
  - { id: "0", name: ModulePath, runOn: client, libs: [fmt, os], location: { filepath: internal/command/command.go } }
  - { id: "6", name: Status.String, runOn: client, libs: [strconv], location: { filepath: internal/checks/status_string.go } }
`;

async function timed<T>(f: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t = performance.now();
  const value = await f();
  return { ms: performance.now() - t, value };
}

/** A go command on the two packages: time, and the first lines of its output when it fails. */
async function goCmd(repo: string, args: string[], env: Record<string, string> = {}) {
  const t = performance.now();
  try {
    await run("go", [...args, ...PKGS], {
      cwd: repo,
      env: { ...process.env, GOTOOLCHAIN: "local", GOWORK: "off", ...env },
      maxBuffer: 64 * 1024 * 1024,
    });
    return { ms: performance.now() - t, ok: true, out: "" };
  } catch (e) {
    const err = e as { stderr?: string };
    const lines = (err.stderr ?? String(e)).split("\n").filter((l) => l && !l.startsWith("go: downloading"));
    return { ms: performance.now() - t, ok: false, out: lines.slice(0, 2).join(" ") };
  }
}

export async function main(): Promise<void> {
  banner("terraform-build", `dcm build of hashicorp/terraform ${VERSION} with the paper's CFD; paper: 7.1 s`);
  const repo = await proxyRepo("github.com/hashicorp/terraform", VERSION);
  const root = benchTmp("terraform", "runs");
  await rm(root, { recursive: true, force: true });
  await mkdir(root, { recursive: true });
  const { cfd, note } = await paperCfd(repo, "CFD_terraform.yaml", EQUIVALENT_CFD);
  if (note) console.log(`note  ${note} (the same two callable fragments).`);

  // What extraction keeps.
  const analysis = await analyzeProject(repo, cfd);
  const go = analysis.languages.find((l) => l.adapter.id === "go")!.result;
  const ex = extractClosure({ repo, analysis: go, fragments: go.fragments, types: [] });
  if (ex) {
    console.log(
      `Closure: ${ex.stats.decls} declarations kept in ${ex.stats.filesKept} files of ${ex.stats.packages} packages; ` +
        `${ex.stats.filesDropped} files of those packages left out of the build.`,
    );
  }

  const build = (cacheDir: string, out: string) => buildDist({ repo, cfd, out, cacheDir });
  const cold: number[] = [];
  const warm: number[] = [];
  const fragFile = join(repo, "internal/checks/status_string.go");
  const original = await readFile(fragFile, "utf8");
  let failure: string | undefined;
  try {
    for (let i = 0; i < REPS; i++) {
      const cacheDir = join(root, `cache-${i}`);
      const out = join(root, `dist-${i}`);
      const c = await timed(() => build(cacheDir, out));
      cold.push(c.ms);
      if (c.value.modulesCompiled !== 2) console.log(`!! cold build ${i} compiled ${c.value.modulesCompiled} modules`);
      // Warm: the same dcm cache, a fragment's file edited (its content, not only its mtime).
      await writeFile(fragFile, `${original}\n// dcm bench edit ${i}\n`);
      const w = await timed(() => build(cacheDir, out));
      warm.push(w.ms);
      if (w.value.upToDate || w.value.modulesCompiled !== 2) console.log(`!! warm build ${i} did not recompile`);
      await writeFile(fragFile, original);
    }
  } catch (e) {
    failure = e instanceof Error ? e.message : String(e);
  } finally {
    await writeFile(fragFile, original);
  }

  const list = await goCmd(repo, ["list", "-deps"]);
  const wasip1 = await goCmd(repo, ["build"], { GOOS: "wasip1", GOARCH: "wasm", CGO_ENABLED: "0" });

  if (failure || cold.length === 0) {
    console.log(`!! dcm build failed: ${failure}`);
    verdict(false, "terraform builds with the paper's CFD", "the build failed");
    return;
  }
  const coldS = stats(cold);
  const warmS = stats(warm);
  const row = (what: string, s: Stats | number, note = "") => {
    const median = typeof s === "number" ? s : s.median;
    return [what, typeof s === "number" ? fmtMs(s) : fmtSpread(s, fmtMs), fmtRatio(median / PAPER_MS), note];
  };
  console.log(`\n${REPS} runs each; ms: median [min–max]`);
  printTable(
    ["what", "time", "× paper 7.1 s", "note"],
    [
      row("dcm build, cold (empty dcm cache)", coldS, "Go's build cache as it is"),
      row("dcm build, warm (fragment file edited)", warmS),
      row("baseline: go list -deps (2 packages)", list.ms, list.ok ? "ok" : `fails: ${list.out}`),
      row("baseline: go build for wasip1 (2 whole packages)", wasip1.ms, wasip1.ok ? "builds" : `fails: ${wasip1.out}`),
    ],
  );
  console.log();
  verdict(
    true,
    "terraform builds with the paper's CFD (wasm + native)",
    `${cold.length} cold + ${warm.length} warm builds`,
  );
  verdict(coldS.median < PAPER_MS, "cold dcm build < 7.1 s (paper)", fmtSpread(coldS, fmtMs));
  verdict(warmS.median < PAPER_MS, "warm dcm build < 7.1 s (paper)", fmtSpread(warmS, fmtMs));
  await rm(root, { recursive: true, force: true });
}

if (isMain(import.meta.url)) await main();
