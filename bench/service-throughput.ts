/**
 * Build service throughput: 8 cold builds of the example (examples/go-shop)
 * submitted at once to a real `dcm serve` (its default concurrency: the
 * cores, 2 here), against 8 other cold builds submitted one after another
 * (each waits for the previous one's final state) to the same service, in
 * the same run.
 *
 * Cold: every build gets distinct sources (a `_ = "<nonce>"` statement in a
 * fragment's body, so the generated code differs and neither the service's
 * store nor dcm's compile cache can answer); the nonce changes per run. Go's
 * own build cache (the standard library) stays warm, as on any build host.
 *
 * Run: `npm run build && node build/bench/service-throughput.js` (a few minutes).
 */
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { BuildServiceClient } from "../src/service/client/build-client.js";
import { type PackedRepo, packRepo } from "../src/service/client/pack-repo.js";
import { startServe } from "../test/service/submit-harness.js";
import { banner, EXAMPLE_REPO, fmtMs, fmtRatio, isMain, printTable, stats, verdict } from "./bench-util.js";

const N = 8;

async function variant(dir: string, tag: string): Promise<PackedRepo> {
  const repo = join(dir, tag);
  await cp(EXAMPLE_REPO, repo, { recursive: true });
  const file = join(repo, "shared", "hash.go");
  const text = await readFile(file, "utf8");
  const edited = text.replace("func GetHash(s string) string {\n", `func GetHash(s string) string {\n\t_ = "${tag}"\n`);
  if (edited === text) throw new Error("examples/go-shop/shared/hash.go changed: GetHash not found");
  await writeFile(file, edited);
  return packRepo(repo);
}

interface Outcome {
  ms: number;
  state: string;
  fromStore: boolean;
  compileMs: number;
}

export async function main(): Promise<void> {
  banner("build service throughput", `${N} cold builds at once against ${N} one after another, one dcm serve`);
  const dir = await mkdtemp(join(tmpdir(), "dcm-bench-throughput-"));
  const serve = await startServe(join(dir, "store"));
  try {
    const client = new BuildServiceClient(serve.url, serve.key);
    const nonce = `${Date.now().toString(36)}`;
    const packs = await Promise.all(Array.from({ length: 2 * N }, (_, i) => variant(dir, `v${nonce}-${i}`)));
    const build = async (p: PackedRepo): Promise<Outcome> => {
      const t = performance.now();
      const { id } = await client.submit(p.data, { cfdPath: "dcm.yaml" });
      const final = await client.follow(id, () => {});
      const ms = performance.now() - t;
      const record = await client.record(id);
      const compileMs = record.stages.filter((s) => s.name.startsWith("compile")).reduce((n, s) => n + (s.ms ?? 0), 0);
      return { ms, state: final.state, fromStore: Boolean(final.fromStore), compileMs };
    };

    const t0 = performance.now();
    const serial: Outcome[] = [];
    for (const p of packs.slice(0, N)) serial.push(await build(p));
    const serialMs = performance.now() - t0;

    const t1 = performance.now();
    const together = await Promise.all(packs.slice(N).map(build));
    const togetherMs = performance.now() - t1;

    const all = [...serial, ...together];
    const bad = all.filter((o) => o.state !== "succeeded" || o.fromStore);
    if (bad.length) throw new Error(`${bad.length} build(s) did not build cold: ${JSON.stringify(bad)}`);
    const row = (name: string, total: number, o: Outcome[]) => [
      name,
      fmtMs(total),
      fmtMs(stats(o.map((x) => x.ms)).median),
      fmtMs(stats(o.map((x) => x.compileMs)).median),
      `${((N * 60_000) / total).toFixed(1)}`,
      fmtRatio(serialMs / total),
    ];
    console.log(
      `${availableParallelism()} cores; the service runs as many builds at once (its default --concurrency).\n`,
    );
    printTable(
      ["", "wall time", "per build (median)", "compile stages (median)", "builds/min", "speed-up"],
      [row(`${N} one after another (baseline)`, serialMs, serial), row(`${N} submitted at once`, togetherMs, together)],
    );
    verdict(
      togetherMs < serialMs,
      `${N} concurrent cold builds finish sooner than ${N} in a row`,
      `${fmtMs(togetherMs)} vs ${fmtMs(serialMs)} (${fmtRatio(serialMs / togetherMs)})`,
    );
  } finally {
    await serve.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) await main();
