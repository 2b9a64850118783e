/**
 * Builds that do not end, on a real service with real cargo: one is killed
 * at the service's wall-time limit and marked failed while the service goes
 * on answering and building; DELETE kills a build's processes (and, when
 * another submission shares the build, cancels only the one it names).
 */
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../support/run-cli.js";
import {
  auth,
  eventually,
  getBuild,
  KEY_A,
  loopingCrate,
  packTarGz,
  packZip,
  processesMentioning,
  readEvents,
  startService,
  submitOk,
  type TestService,
  waitFinal,
} from "./service-helpers.js";

let scratch: string;
let svc: TestService;
const WALL_S = 40;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "dcm-service-limits-"));
  svc = await startService(join(scratch, "store"), { concurrency: 2, buildTimeoutMs: WALL_S * 1000 });
});

afterAll(async () => {
  await svc?.close();
  await rm(scratch, { recursive: true, force: true });
});

/** The looping build script of the crate `tag` (cargo runs it as target/…/build/loopdep_<tag>-<hash>/build-script-build). */
const buildScript = (tag: string) => processesMentioning(`loopdep_${tag}-`, "build-script-build");
/** Any process of the crate's build (cargo, rustc, the build script). */
const anyOf = (tag: string) => processesMentioning(`loopdep_${tag}`);

describe("builds that do not end", () => {
  it("kills a build that loops at compile time at the wall-time limit, marks it failed, and keeps serving", async () => {
    const loop = await submitOk(svc.url, KEY_A, await packZip(loopingCrate("wall")), { cfdPath: "dcm.yaml" });
    const comments: string[] = [];
    const streamed = readEvents(svc.url, KEY_A, loop.id, { comments });
    await eventually(async () => (await buildScript("wall")).length > 0 || (await getBuild(svc.url, KEY_A, loop.id)).state !== "running" && (await getBuild(svc.url, KEY_A, loop.id)).state !== "queued", "the looping build script to run");
    expect((await getBuild(svc.url, KEY_A, loop.id)).state).toBe("running");
    // Meanwhile the service answers, and builds something else to the end.
    const langs = await fetch(`${svc.url}/dcm/languages`, { headers: auth(KEY_A) });
    expect(langs.status).toBe(200);
    const other = await submitOk(svc.url, KEY_A, await packTarGz(join(ROOT, "examples/go-shop")), { cfdPath: "dcm.yaml" });
    expect((await waitFinal(svc.url, KEY_A, other.id)).state).toBe("succeeded");
    expect((await getBuild(svc.url, KEY_A, loop.id)).state).toBe("running");

    const done = await waitFinal(svc.url, KEY_A, loop.id);
    expect(done).toMatchObject({ state: "failed", reason: "wall-time limit" });
    expect(done.diagnostics.map((d) => d.code)).toContain("DCM_SERVICE_BUILD_TIMEOUT");
    expect(done.diagnostics.find((d) => d.code === "DCM_SERVICE_BUILD_TIMEOUT")!.message).toContain(`${WALL_S} s`);
    // The stream carried cargo's own lines as they came, kept alive by heartbeats, and ended with the state.
    const events = await streamed;
    const output = events.filter((e) => e.type === "output") as Array<{ step: string; line: string }>;
    expect(output.some((e) => /cargo/.test(e.step) && e.line.includes("Compiling loopdep_wall"))).toBe(true);
    expect(comments.filter((c) => c.includes("heartbeat")).length).toBeGreaterThan(1);
    expect(events[events.length - 1]).toMatchObject({ type: "state", state: "failed", reason: "wall-time limit" });
    await eventually(async () => (await anyOf("wall")).length === 0, "the build's processes to be gone", 100);
    await eventually(async () => (await readdir(join(scratch, "store", "tmp"))).length === 0, "the build's scratch folder to be removed", 100);
  });

  it("kills the processes on DELETE; a build two submissions share goes on until both are cancelled", async () => {
    const zip = await packZip(loopingCrate("del"));
    const a = await submitOk(svc.url, KEY_A, zip, { cfdPath: "dcm.yaml" });
    const b = await submitOk(svc.url, KEY_A, zip, { cfdPath: "dcm.yaml" });
    expect(b.key).toBe(a.key);
    await eventually(async () => (await buildScript("del")).length > 0, "the looping build script to run");

    const delA = await fetch(`${svc.url}/dcm/builds/${a.id}`, { method: "DELETE", headers: auth(KEY_A) });
    expect(delA.status).toBe(200);
    expect(await delA.json()).toMatchObject({ state: "cancelled", reason: "cancelled by the submitter" });
    expect((await getBuild(svc.url, KEY_A, b.id)).state).toBe("running");
    expect((await buildScript("del")).length).toBeGreaterThan(0);

    const delB = await fetch(`${svc.url}/dcm/builds/${b.id}`, { method: "DELETE", headers: auth(KEY_A) });
    expect(await delB.json()).toMatchObject({ state: "cancelled" });
    // DELETE answers once the build's process group is gone; the sandbox's own processes die with it.
    await eventually(async () => (await anyOf("del")).length === 0, "the build's processes to be gone", 50);
    const events = await (await fetch(`${svc.url}/dcm/builds/${b.id}/events`, { headers: auth(KEY_A) })).text();
    expect(events.trim().split("\n\n").pop()).toContain('"state":"cancelled"');
  });
});
