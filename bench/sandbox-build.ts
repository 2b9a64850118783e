/**
 * What the build sandbox costs: `buildDist` with dcm's module cache empty (a
 * fresh cacheDir and out dir each time; Go's, cargo's registry and the
 * toolchains' own caches warm) inside core's bubblewrap sandbox (the
 * default) against the same build with `sandbox: false` (`--no-sandbox`),
 * alternating so that both see the same machine state, for examples/go-shop
 * (Go only: a fetch and a build step per target) and examples/polyglot (four
 * languages, Rust through cargo fetch + build + wasm-bindgen). Plus the
 * fixed cost of one step: `true` through runStep, sandboxed against local.
 *
 * Run: `npm run build && node build/bench/sandbox-build.js`.
 */
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { buildDist } from "../src/build/build-dist.js";
import { projectRoot } from "../src/core/paths.js";
import { findBwrap, runStep, withSandboxPolicy } from "../toolchains/sandbox.js";
import {
  banner,
  benchTmp,
  fmtMs,
  fmtRatio,
  fmtSpread,
  isMain,
  printTable,
  stats,
  timeMs,
  verdict,
} from "./bench-util.js";

const REPS = 3;
const EXAMPLES = [
  { name: "go-shop", repo: join(projectRoot(), "examples", "go-shop") },
  { name: "polyglot", repo: join(projectRoot(), "examples", "polyglot") },
];

export async function main(): Promise<void> {
  banner(
    "sandbox-build",
    "buildDist, dcm cache empty, sandboxed (default) vs --no-sandbox, alternating; one `true` step",
  );
  if (!(await findBwrap())) {
    console.log("bubblewrap is not installed: nothing to compare (a sandboxed build is refused without it).");
    return;
  }
  const root = benchTmp("sandbox-build");
  await rm(root, { recursive: true, force: true });
  await mkdir(root, { recursive: true });

  const step = {
    phase: "compile" as const,
    label: "true",
    command: "true",
    args: [],
    cwd: root,
    inputs: [],
    scratch: [root],
  };
  const stepBox = await timeMs(() => runStep(step, { sandbox: true }), 20, 3);
  const stepLocal = await timeMs(() => runStep(step, { sandbox: false }), 20, 3);

  const rows: string[][] = [
    [
      "one step (`true`)",
      fmtSpread(stepBox, fmtMs),
      fmtSpread(stepLocal, fmtMs),
      fmtRatio(stepBox.median / stepLocal.median),
    ],
  ];
  let worst = 0;
  for (const ex of EXAMPLES) {
    const cfd = join(ex.repo, "dcm.yaml");
    const once = async (sandbox: boolean) => {
      const cacheDir = await mkdtemp(join(root, `cache-${ex.name}-`));
      const out = join(root, `dist-${ex.name}`);
      const t = performance.now();
      const r = await withSandboxPolicy({ sandbox }, () => buildDist({ repo: ex.repo, cfd, out, cacheDir, sandbox }));
      const ms = performance.now() - t;
      if (r.modulesFromCache !== 0) console.log(`!! ${ex.name}: ${r.modulesFromCache} module(s) from cache`);
      await rm(cacheDir, { recursive: true, force: true });
      await rm(out, { recursive: true, force: true });
      return ms;
    };
    // Warm the toolchains' own caches (and this process) once each way.
    await once(true);
    await once(false);
    const box: number[] = [];
    const local: number[] = [];
    for (let i = 0; i < REPS; i++) {
      box.push(await once(true));
      local.push(await once(false));
    }
    const b = stats(box);
    const l = stats(local);
    worst = Math.max(worst, b.median / l.median);
    rows.push([`build ${ex.name}`, fmtSpread(b, fmtMs), fmtSpread(l, fmtMs), fmtRatio(b.median / l.median)]);
  }
  printTable(["what", "sandboxed median [min–max]", "--no-sandbox", "ratio"], rows);
  verdict(worst <= 1.25, "a sandboxed build within 1.25× of a local one", fmtRatio(worst));
  await rm(root, { recursive: true, force: true });
}

if (isMain(import.meta.url)) await main();
