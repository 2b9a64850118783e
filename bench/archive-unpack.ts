/**
 * Unpacking an uploaded repository with every check (src/service/archive)
 * against the plain extractors of the same run: GNU `tar xzf` and Info-ZIP
 * `unzip` (each started as a process: a few ms of that is spawning), on a
 * terraform-sized repository: hashicorp/terraform v1.3.9 from the Go module
 * cache (3 500 files, 32 MB; `go mod download` fetches it on the first run),
 * packed as GitHub packs it (one top folder) with `tar czf` and `zip -r -y`.
 * The service's time to the first build stage includes this unpack, and
 * the service's other requests wait for the event loop while it runs: its
 * delay is measured too. No target: the ratio to the plain extractors is
 * the figure.
 *
 * Run: `npm run build && node build/bench/archive-unpack.js`.
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, stat, symlink } from "node:fs/promises";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { promisify } from "node:util";
import { unpackArchive } from "../src/service/archive/unpack-archive.js";
import { banner, benchTmp, fmtBytes, fmtMs, fmtRatio, fmtSpread, isMain, printTable, stats } from "./bench-util.js";

const run = promisify(execFile);
const MODULE = "github.com/hashicorp/terraform@v1.3.9";
const REPS = 5;

async function main(): Promise<void> {
  banner("archive unpack", `unpackArchive (checked) against tar xzf / unzip, ${MODULE}, median of ${REPS}`);
  const base = benchTmp("archive-unpack");
  await rm(base, { recursive: true, force: true });
  await mkdir(base, { recursive: true });
  const { stdout } = await run("go", ["mod", "download", "-json", MODULE], { cwd: base, maxBuffer: 16 << 20 });
  const moduleDir = (JSON.parse(stdout) as { Dir: string }).Dir;
  // GitHub's layout: everything under one `terraform-<ref>/` folder (stripped by the unpacker).
  await symlink(moduleDir, join(base, "terraform-1.3.9"));
  const tgz = join(base, "repo.tar.gz");
  const zip = join(base, "repo.zip");
  await run("tar", ["czhf", tgz, "-C", base, "terraform-1.3.9"]);
  await run("zip", ["-q", "-r", zip, "terraform-1.3.9"], { cwd: base, maxBuffer: 16 << 20 });
  const data = { "tar.gz": await readFile(tgz), zip: await readFile(zip) } as const;

  let n = 0;
  /** Median time of `f` unpacking into a fresh folder under `root`; removing the folder is not timed. */
  const timedUnpack = async (root: string, f: (dest: string) => Promise<unknown>) => {
    const samples: number[] = [];
    for (let i = 0; i <= REPS; i++) {
      const dest = join(root, `out-${++n}`);
      const t = performance.now();
      await f(dest);
      if (i > 0) samples.push(performance.now() - t); // the first run warms the caches
      await rm(dest, { recursive: true, force: true });
    }
    return stats(samples);
  };
  // The disk (the bench folder) and, where there is one, memory (/dev/shm): the second shows the unpacker's own cost.
  const roots: [string, string][] = [["disk", base]];
  if (
    await stat("/dev/shm").then(
      (st) => st.isDirectory(),
      () => false,
    )
  ) {
    const shm = await mkdtemp("/dev/shm/dcm-bench-unpack-");
    roots.push(["tmpfs", shm]);
  }
  const rows: string[][] = [];
  let files = 0;
  for (const [where, root] of roots)
    for (const kind of ["tar.gz", "zip"] as const) {
      const loop = monitorEventLoopDelay({ resolution: 1 });
      loop.enable();
      const checked = await timedUnpack(root, async (dest) => {
        files = (await unpackArchive(data[kind], kind, dest)).files.length;
      });
      loop.disable();
      const plain = await timedUnpack(root, async (dest) => {
        await mkdir(dest);
        if (kind === "tar.gz") await run("tar", ["xzf", tgz, "-C", dest]);
        else await run("unzip", ["-q", zip, "-d", dest]);
      });
      rows.push([
        `${kind} → ${where}`,
        fmtBytes(data[kind].length),
        fmtSpread(checked, fmtMs),
        fmtSpread(plain, fmtMs),
        fmtRatio(checked.median / plain.median),
        `${fmtMs(loop.percentile(99) / 1e6)} / ${fmtMs(loop.max / 1e6)}`,
      ]);
    }
  for (const [where, root] of roots) if (where !== "disk") await rm(root, { recursive: true, force: true });
  console.log(`${files} files in each archive\n`);
  printTable(
    ["archive", "size", "unpackArchive (checked)", "tar xzf / unzip", "checked / plain", "loop delay p99 / max"],
    rows,
  );
  console.log(
    "\n(loop delay: how long other work of the process, HTTP and SSE in the service, waited during the unpacks)",
  );
  await rm(base, { recursive: true, force: true });
}

if (isMain(import.meta.url)) await main();
