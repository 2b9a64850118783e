/**
 * The embedded build service end to end (real server on loopback, real
 * `dcm build` child processes, real toolchains): the examples submitted as
 * .tar.gz and .zip give the artifacts of a local `dcm build`, byte for byte;
 * identical submissions are built once (at the same moment too) and answered
 * from the store after; 8 concurrent submissions all complete; the events
 * arrive live, in order, and a late subscriber gets the history first.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BuildEvent } from "../../src/service/service-types.js";
import { ROOT, runCli } from "../support/run-cli.js";
import {
  downloadedHashes,
  getBuild,
  KEY_A,
  packTarGz,
  packZip,
  readEvents,
  readTree,
  startService,
  submitOk,
  type TestService,
  treeHashes,
  waitFinal,
} from "./service-helpers.js";

const GO_SHOP = join(ROOT, "examples/go-shop");
const PAPER = join(ROOT, "examples/paper-webserver");

let scratch: string;
let svc: TestService;

async function localBuild(repo: string, cfd: string, name: string): Promise<Record<string, string>> {
  const out = join(scratch, name);
  const r = await runCli(["build", repo, "--cfd", join(repo, cfd), "--out", out]);
  expect(r.code, r.stderr).toBe(0);
  return treeHashes(out);
}

/** go-shop with one extra file: another build key, the same Go packages (modules from dcm's cache). */
async function goShopVariant(tag: string): Promise<Buffer> {
  const files = await readTree(GO_SHOP);
  return packZip({ ...files, "NOTES.txt": `variant ${tag}\n` });
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "dcm-service-build-"));
  svc = await startService(join(scratch, "store"), { concurrency: 2 });
});

afterAll(async () => {
  await svc?.close();
  await rm(scratch, { recursive: true, force: true });
});

describe("the embedded build service", () => {
  let goShopTgz: Buffer;
  let firstId: string;

  it("builds go-shop from a .tar.gz with live, ordered events; the artifacts equal a local dcm build", async () => {
    goShopTgz = await packTarGz(GO_SHOP);
    const rec = await submitOk(svc.url, KEY_A, goShopTgz, { cfdPath: "dcm.yaml" });
    expect(rec.state).toBe("queued");
    firstId = rec.id;
    // What the record says when the first events arrive: they come live, not replayed after the end.
    const statesMeanwhile: Array<Promise<string>> = [];
    const events = await readEvents(svc.url, KEY_A, rec.id, {
      onEvent: (e: BuildEvent) => {
        if (e.seq <= 2) statesMeanwhile.push(getBuild(svc.url, KEY_A, rec.id).then((r) => r.state));
      },
    });
    for (const s of await Promise.all(statesMeanwhile)) expect(["queued", "running"]).toContain(s);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events[0]!.type).toBe("queued");
    expect(events.find((e) => e.type === "state")).toMatchObject({ state: "running" });
    const last = events[events.length - 1]!;
    expect(last).toMatchObject({ type: "state", state: "succeeded" });
    const stages = events.filter((e) => e.type === "stage").map((e) => `${(e as { stage: string }).stage}:${(e as { phase: string }).phase}`);
    for (const s of ["unpack", "analysis", "package", "store"]) {
      expect(stages).toContain(`${s}:started`);
      expect(stages).toContain(`${s}:finished`);
      expect(stages.indexOf(`${s}:started`)).toBeLessThan(stages.indexOf(`${s}:finished`));
    }
    const done = await getBuild(svc.url, KEY_A, rec.id);
    expect(done.state).toBe("succeeded");
    expect(done.fromStore).toBeUndefined();
    expect(done.manifest?.fragments.length).toBeGreaterThan(0);
    expect(done.stages.every((s) => typeof s.ms === "number")).toBe(true);
    const local = await localBuild(GO_SHOP, "dcm.yaml", "go-shop-local");
    expect(await downloadedHashes(svc.url, KEY_A, rec.id)).toEqual(local);
  });

  it("gives a late subscriber the whole history first, and one resuming after Last-Event-ID the rest", async () => {
    const all = await readEvents(svc.url, KEY_A, firstId);
    expect(all[all.length - 1]).toMatchObject({ type: "state", state: "succeeded" });
    const rest = await readEvents(svc.url, KEY_A, firstId, { lastEventId: 3 });
    expect(rest).toEqual(all.slice(3));
  });

  it("answers an identical resubmission (packed as a .zip, the CFD uploaded) from the store without building", async () => {
    const files = await readTree(GO_SHOP);
    const zip = await packZip(files);
    const rec = await submitOk(svc.url, KEY_A, zip, { cfd: files["dcm.yaml"]!.toString("utf8") });
    expect(rec).toMatchObject({ state: "succeeded", fromStore: true });
    const events = await readEvents(svc.url, KEY_A, rec.id);
    expect(events.map((e) => e.type)).toEqual(["queued", "state"]);
    expect(events.some((e) => e.type === "stage")).toBe(false);
    const first = await getBuild(svc.url, KEY_A, firstId);
    expect(rec.key).toBe(first.key);
    expect(rec.manifest).toEqual(first.manifest);
  });

  it("builds paper-webserver from a .zip (its CFD inside: CFD.yaml) like a local dcm build", async () => {
    const zip = await packZip(await readTree(PAPER));
    const rec = await submitOk(svc.url, KEY_A, zip, { cfdPath: "CFD.yaml" });
    const done = await waitFinal(svc.url, KEY_A, rec.id);
    expect(done.state, JSON.stringify(done.diagnostics)).toBe("succeeded");
    expect(await downloadedHashes(svc.url, KEY_A, rec.id)).toEqual(await localBuild(PAPER, "CFD.yaml", "paper-local"));
  });

  it("builds polyglot (Go, Rust, AssemblyScript, TypeScript) like a local dcm build", async () => {
    const repo = join(ROOT, "examples/polyglot");
    const rec = await submitOk(svc.url, KEY_A, await packTarGz(repo), { cfdPath: "dcm.yaml" });
    const done = await waitFinal(svc.url, KEY_A, rec.id);
    expect(done.state, JSON.stringify(done.diagnostics)).toBe("succeeded");
    expect(await downloadedHashes(svc.url, KEY_A, rec.id)).toEqual(await localBuild(repo, "dcm.yaml", "polyglot-local"));
  });

  it("builds two identical submissions at the same moment once, and answers both", async () => {
    const zip = await goShopVariant("twins");
    const [a, b] = await Promise.all([submitOk(svc.url, KEY_A, zip, { cfdPath: "dcm.yaml" }), submitOk(svc.url, KEY_A, zip, { cfdPath: "dcm.yaml" })]);
    expect(a.key).toBe(b.key);
    const [da, db] = await Promise.all([waitFinal(svc.url, KEY_A, a.id), waitFinal(svc.url, KEY_A, b.id)]);
    expect(da.state).toBe("succeeded");
    expect(db.state).toBe("succeeded");
    // One build: the same stages, started at the same instants (two builds could not share them).
    expect(da.stages.length).toBeGreaterThan(2);
    expect(db.stages).toEqual(da.stages);
    expect(db.manifest).toEqual(da.manifest);
  });

  it("completes 8 concurrent submissions", async () => {
    const zips = await Promise.all(Array.from({ length: 8 }, (_, i) => goShopVariant(`eight-${i}`)));
    const recs = await Promise.all(zips.map((z) => submitOk(svc.url, KEY_A, z, { cfdPath: "dcm.yaml" })));
    expect(new Set(recs.map((r) => r.key)).size).toBe(8);
    const done = await Promise.all(recs.map((r) => waitFinal(svc.url, KEY_A, r.id)));
    for (const d of done) expect(d.state, JSON.stringify(d.diagnostics)).toBe("succeeded");
    // The dist does not depend on the extra file: every build gave the same modules.
    const modules = new Set(done.map((d) => JSON.stringify(d.manifest?.modules)));
    expect(modules.size).toBe(1);
  });
});
