/**
 * What the build drivers cost against a local build (`--driver local`):
 * bubblewrap (`sandbox`, the default) and a Podman container (`container`,
 * dcm's toolchain image, built first when missing and not timed), for
 * examples/go-shop (Go: a fetch and a build step per target) and
 * examples/polyglot (four languages; Rust through cargo fetch + build).
 *
 *  - cold: dcm's module cache empty (fresh cacheDir and out dir), so every
 *    module is compiled; the toolchains' own caches (Go's build cache,
 *    cargo's registry) are warm, as on any machine after its first build.
 *  - warm: the module cache full, a fresh out dir: no compiler runs, so this
 *    is the driver's fixed cost per build (the container's: finding the image).
 *  - one step: `true` through runStep.
 *
 * Drivers alternate so that all see the same machine state.
 * Run: `npm run build && node build/bench/build-drivers.js` (REPS=<n> for more rounds).
 */
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { buildDist } from "../src/build/build-dist.js";
import { projectRoot } from "../src/core/paths.js";
import { findEngine } from "../toolchains/container/engine.js";
import { ensureImage } from "../toolchains/container/image.js";
import { findBwrap, policyFor, runStep, type StepDriver, withSandboxPolicy } from "../toolchains/sandbox.js";
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

const REPS = Number(process.env.REPS ?? 2);
const EXAMPLES = [
  { name: "go-shop", repo: join(projectRoot(), "examples", "go-shop") },
  { name: "polyglot", repo: join(projectRoot(), "examples", "polyglot") },
];

export async function main(): Promise<void> {
  banner(
    "build-drivers",
    "buildDist cold (module cache empty) and warm (module cache full) per driver: sandbox, container, local",
  );
  const drivers: StepDriver[] = ["local"];
  if (await findBwrap()) drivers.push("sandbox");
  else console.log("bubblewrap is not installed: no sandbox column.");
  try {
    await findEngine();
    const t = performance.now();
    const tag = await ensureImage();
    console.log(`container image ${tag} ready in ${fmtMs(performance.now() - t)} (not timed below)`);
    drivers.push("container");
  } catch (e) {
    console.log(`no container engine or image: no container column (${(e as Error).message.split("\n")[0]})`);
  }
  const root = benchTmp("build-drivers");
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
  const stepMs = new Map<StepDriver, number>();
  for (const d of drivers)
    stepMs.set(d, (await timeMs(() => runStep(step, policyFor(d)), d === "container" ? 5 : 20, 1)).median);
  const rows: string[][] = [
    [
      "one step (`true`)",
      ...drivers.map((d) => `${fmtMs(stepMs.get(d)!)} (${fmtRatio(stepMs.get(d)! / stepMs.get("local")!)})`),
    ],
  ];

  let worstCold = 0;
  for (const ex of EXAMPLES) {
    const cfd = join(ex.repo, "dcm.yaml");
    const once = async (driver: StepDriver, cacheDir: string) => {
      const out = join(root, `dist-${ex.name}-${driver}`);
      await rm(out, { recursive: true, force: true });
      const t = performance.now();
      await withSandboxPolicy(policyFor(driver), () => buildDist({ repo: ex.repo, cfd, out, cacheDir, driver }));
      return performance.now() - t;
    };
    const cold = new Map<StepDriver, number[]>(drivers.map((d) => [d, []]));
    const warm = new Map<StepDriver, number[]>(drivers.map((d) => [d, []]));
    // One warm-up each way: the toolchains' own caches and this process.
    for (const d of drivers) {
      const c = await mkdtemp(join(root, "cache-"));
      await once(d, c);
      await rm(c, { recursive: true, force: true });
    }
    for (let i = 0; i < REPS; i++) {
      for (const d of drivers) {
        const c = await mkdtemp(join(root, "cache-"));
        cold.get(d)!.push(await once(d, c));
        warm.get(d)!.push(await once(d, c));
        await rm(c, { recursive: true, force: true });
      }
    }
    for (const [what, m] of [
      ["cold", cold],
      ["warm", warm],
    ] as const) {
      const local = stats(m.get("local")!).median;
      rows.push([
        `${ex.name} ${what}`,
        ...drivers.map((d) => {
          const s = stats(m.get(d)!);
          if (what === "cold") worstCold = Math.max(worstCold, s.median / local);
          return `${fmtSpread(s, fmtMs)} (${fmtRatio(s.median / local)})`;
        }),
      ]);
    }
  }
  printTable(["what", ...drivers.map((d) => `${d} median [min–max] (× local)`)], rows);
  verdict(worstCold <= 1.5, "a cold sandboxed or container build within 1.5× of a local one", fmtRatio(worstCold));
  await rm(root, { recursive: true, force: true });
}

if (isMain(import.meta.url)) await main();
