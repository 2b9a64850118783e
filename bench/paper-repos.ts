/**
 * The repositories the paper evaluated, for the benchmarks: a module fetched
 * through the Go module proxy (`go mod download`), copied once into the bench
 * folder and made writable (the module cache is read-only), its dependencies
 * downloaded; and the paper's CFD for it, verbatim (bench/fixtures/), or an
 * equivalent CFD in dcm's own dialect when this dcm cannot load the paper's.
 */
import { execFile } from "node:child_process";
import { chmod, cp, mkdir, readdir, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { analyzeProject } from "../src/build/analyze-project.js";
import { projectRoot } from "../src/core/paths.js";
import { benchTmp } from "./bench-util.js";

const run = promisify(execFile);

async function makeWritable(dir: string): Promise<void> {
  await chmod(dir, 0o755);
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) await makeWritable(p);
    else await chmod(p, ((await stat(p)).mode & 0o777) | 0o200);
  }
}

/** `module@version` from the module proxy, as a writable repository in the bench folder. */
export async function proxyRepo(module: string, version: string): Promise<string> {
  const base = benchTmp("paper-repos");
  const repo = join(base, `${module.replaceAll("/", "_")}@${version}`);
  const marker = join(repo, ".dcm-bench-ready");
  if (
    await stat(marker).then(
      () => true,
      () => false,
    )
  )
    return repo;
  await rm(repo, { recursive: true, force: true });
  await mkdir(base, { recursive: true });
  const { stdout } = await run("go", ["mod", "download", "-json", `${module}@${version}`], {
    cwd: base,
    maxBuffer: 16 * 1024 * 1024,
  });
  await cp((JSON.parse(stdout) as { Dir: string }).Dir, repo, { recursive: true });
  await makeWritable(repo);
  await run("go", ["mod", "download"], { cwd: repo, maxBuffer: 64 * 1024 * 1024 });
  await writeFile(marker, "");
  return repo;
}

/**
 * The paper's CFD (bench/fixtures/<name>) when it loads, else `equivalent`
 * written next to the repository; `note` says which and why.
 */
export async function paperCfd(
  repo: string,
  name: string,
  equivalent: string,
): Promise<{ cfd: string; note?: string }> {
  const cfd = join(projectRoot(), "bench", "fixtures", name);
  const errors = (await analyzeProject(repo, cfd)).diagnostics.filter((d) => d.severity === "error");
  if (errors.length === 0) return { cfd };
  const alt = join(repo, `${name}.equivalent.yaml`);
  await writeFile(alt, equivalent);
  return {
    cfd: alt,
    note: `the paper's ${name} does not load in this dcm (${errors[0]!.code}: ${errors[0]!.message}); using an equivalent CFD in dcm's own dialect`,
  };
}
