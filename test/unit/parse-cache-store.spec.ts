/**
 * PersistentParseCache (src/build/parse-cache-store.ts): what it keeps on
 * disk, what it refuses to read back, and that it stays bounded.
 */
import { readdirSync, readFileSync, utimesSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PersistentParseCache, prune } from "../../src/build/parse-cache-store.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "dcm-store-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const jsonFiles = () => readdirSync(dir).filter((n) => n.endsWith(".json"));

describe("PersistentParseCache", () => {
  it("writes only values set with `persist`, as they are at flush time, and a new process reads them back", async () => {
    const a = new PersistentParseCache(dir);
    const summary: { decls: string[]; refs?: string[] } = { decls: ["F"] };
    a.set("k:1", summary, { persist: true });
    a.set("k:2", { tree: "not plain data" });
    summary.refs = ["G"]; // filled in lazily after set()
    await a.flush();
    expect(a.stats.written).toBe(1);
    expect(jsonFiles()).toHaveLength(1);

    const b = new PersistentParseCache(dir);
    expect(b.get("k:1")).toEqual({ decls: ["F"], refs: ["G"] });
    expect(b.get("k:2")).toBeUndefined();
    expect(b.stats.hits).toBe(1);
    // Read and unchanged: nothing to write.
    await b.flush();
    expect(b.stats.written).toBe(0);
  });

  it("treats a corrupt file, another format version or another key as a miss, and rewrites it", async () => {
    const a = new PersistentParseCache(dir);
    a.set("k:1", { n: 1 }, { persist: true });
    await a.flush();
    const file = join(dir, jsonFiles()[0]!);
    for (const bad of ['{"v":1,"key":"k:1","val', JSON.stringify({ v: 0, key: "k:1", value: { n: 1 } }), JSON.stringify({ v: 1, key: "k:9", value: { n: 9 } })]) {
      await writeFile(file, bad);
      const b = new PersistentParseCache(dir);
      expect(b.get("k:1")).toBeUndefined();
      expect(b.stats.rejected).toBe(1);
      b.set("k:1", { n: 1 }, { persist: true });
      await b.flush();
      expect(JSON.parse(await readFile(file, "utf8"))).toEqual({ v: 1, key: "k:1", value: { n: 1 } });
    }
  });

  it("never fails the analysis when the folder cannot be written", async () => {
    const blocker = join(dir, "file");
    await writeFile(blocker, "");
    const a = new PersistentParseCache(join(blocker, "sub"));
    a.set("k", { n: 1 }, { persist: true });
    await expect(a.flush()).resolves.toBeUndefined();
    expect(a.get("k")).toEqual({ n: 1 });
  });

  it("is bounded: past the limit the least recently used files go, down to three quarters", async () => {
    const a = new PersistentParseCache(dir);
    for (let i = 0; i < 12; i++) a.set(`k:${i}`, { i }, { persist: true });
    await a.flush();
    expect(jsonFiles()).toHaveLength(12);
    // k:0 … k:11 used in that order, a minute apart.
    const reader = new PersistentParseCache(dir);
    const t0 = Date.now() / 1000 - 3600;
    for (let i = 0; i < 12; i++) {
      reader.get(`k:${i}`);
      const f = jsonFiles().find((n) => readFileSync(join(dir, n), "utf8").includes(`"k:${i}"`))!;
      utimesSync(join(dir, f), t0 + i * 60, t0 + i * 60);
    }
    await prune(dir, 8);
    const left = jsonFiles().map((n) => JSON.parse(readFileSync(join(dir, n), "utf8")).key as string);
    expect(left.sort()).toEqual(["k:10", "k:11", "k:6", "k:7", "k:8", "k:9"]);
  });
});
