/**
 * Unpacking an uploaded repository with every check (src/service/archive)
 * against the plain extractors of the same run: GNU `tar xzf` and Info-ZIP
 * `unzip` (each started as a process: a few ms of that is spawning), on a
 * terraform-sized repository: hashicorp/terraform v1.3.9 from the Go module
 * cache (3 500 files, 32 MB; `go mod download` fetches it on the first run),
 * packed as GitHub packs it (one top folder) with `tar czf` and `zip -r -y`.
 * The service's time to the first build stage includes this unpack. No
 * target: the ratio to the plain extractors is the figure.
 *
 * Run: `npm run build && node build/bench/archive-unpack.js`.
 */
import { execFile } from "node:child_process";
import { mkdir, readFile, rm, symlink } from "node:fs/promises";
import { join } from "node:path";
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
  /** Median time of `f` unpacking into a fresh folder; removing the folder is not timed. */
  const timedUnpack = async (f: (dest: string) => Promise<unknown>) => {
    const samples: number[] = [];
    for (let i = 0; i <= REPS; i++) {
      const dest = join(base, `out-${++n}`);
      const t = performance.now();
      await f(dest);
      if (i > 0) samples.push(performance.now() - t); // the first run warms the caches
      await rm(dest, { recursive: true, force: true });
    }
    return stats(samples);
  };
  const rows: string[][] = [];
  let files = 0;
  for (const kind of ["tar.gz", "zip"] as const) {
    const checked = await timedUnpack(async (dest) => {
      files = (await unpackArchive(data[kind], kind, dest)).files.length;
    });
    const plain = await timedUnpack(async (dest) => {
      await mkdir(dest);
      if (kind === "tar.gz") await run("tar", ["xzf", tgz, "-C", dest]);
      else await run("unzip", ["-q", zip, "-d", dest]);
    });
    rows.push([
      kind,
      fmtBytes(data[kind].length),
      fmtSpread(checked, fmtMs),
      fmtSpread(plain, fmtMs),
      fmtRatio(checked.median / plain.median),
    ]);
  }
  console.log(`${files} files in each archive\n`);
  printTable(["archive", "size", "unpackArchive (checked)", "tar xzf / unzip", "checked / plain"], rows);
  await rm(base, { recursive: true, force: true });
}

if (isMain(import.meta.url)) await main();
