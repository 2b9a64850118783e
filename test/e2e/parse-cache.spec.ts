/**
 * The parse cache persisted across runs (src/build/parse-cache-store.ts),
 * through the real CLI: a second `dcm analyze` of unchanged files parses
 * nothing and answers the same; a corrupt or stale cache file is ignored and
 * rewritten; DCM_PARSE_CACHE=0 keeps nothing on disk.
 */
import { readdirSync, statSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/run-cli.js";

const ARGS = ["analyze", "examples/go-shop", "--cfd", "examples/go-shop/dcm.yaml", "--json"];

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "dcm-parse-cache-"));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

interface Analysis {
  ok: boolean;
  fragments: unknown[];
  diagnostics: unknown[];
  filesParsed: number;
}

async function analyze(cacheDir: string, extra: NodeJS.ProcessEnv = {}): Promise<Analysis> {
  const r = await runCli(ARGS, { env: { ...process.env, DCM_CACHE_DIR: cacheDir, ...extra } });
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Analysis;
}

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.flatMap((n) => (statSync(join(dir, n)).isDirectory() ? filesUnder(join(dir, n)) : [join(dir, n)]));
}

describe("the persisted parse cache", () => {
  it("makes a second analysis of unchanged files parse nothing, with the same answer", async () => {
    const cache = join(scratch, "warm");
    const first = await analyze(cache);
    expect(first.filesParsed).toBeGreaterThan(0);
    const stored = filesUnder(join(cache, "parses"));
    // Go file summaries and the loaded CFD, one JSON file each.
    expect(stored.some((f) => f.includes("/go/"))).toBe(true);
    expect(stored.some((f) => f.includes("/_cfd/"))).toBe(true);

    const second = await analyze(cache);
    expect(second.filesParsed).toBe(0);
    expect(second.fragments).toEqual(first.fragments);
    expect(second.diagnostics).toEqual(first.diagnostics);
  });

  it("ignores corrupt and stale files, answers the same, and rewrites them", async () => {
    const cache = join(scratch, "corrupt");
    const first = await analyze(cache);
    const stored = filesUnder(join(cache, "parses")).filter((f) => f.endsWith(".json"));
    expect(stored.length).toBeGreaterThan(2);
    // Half-written, another format version, another key (a file renamed or copied over).
    const [a, b, c, ...rest] = stored;
    await writeFile(a!, '{"v":1,"key":"go-summary');
    const other = JSON.parse(await readFile(b!, "utf8"));
    await writeFile(b!, JSON.stringify({ ...other, v: 999 }));
    await writeFile(c!, JSON.stringify({ ...other, key: "something else" }));
    for (const f of rest) await writeFile(f, "not json at all");

    const again = await analyze(cache);
    expect(again.filesParsed).toBe(first.filesParsed);
    expect(again.fragments).toEqual(first.fragments);
    expect(again.diagnostics).toEqual(first.diagnostics);
    for (const f of stored) {
      const s = JSON.parse(await readFile(f, "utf8"));
      expect(s.v, f).toBe(1);
      expect(typeof s.key, f).toBe("string");
    }
    expect((await analyze(cache)).filesParsed).toBe(0);
  });

  it("is not kept with DCM_PARSE_CACHE=0", async () => {
    const cache = join(scratch, "off");
    const first = await analyze(cache, { DCM_PARSE_CACHE: "0" });
    const second = await analyze(cache, { DCM_PARSE_CACHE: "0" });
    expect(second.filesParsed).toBe(first.filesParsed);
    expect(first.filesParsed).toBeGreaterThan(0);
    expect(filesUnder(join(cache, "parses"))).toEqual([]);
  });
});
