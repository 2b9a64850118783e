/**
 * `dcm serve` as a real process, stopped mid-build: killed outright
 * (SIGKILL) or asked to stop (SIGTERM). Either way the build's processes end
 * with it, and the service started again on the same store shows the build
 * as failed "interrupted", never lost.
 */
import type { ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  eventually,
  getBuild,
  KEY_A,
  loopingCrate,
  packZip,
  processesMentioning,
  readEvents,
  startServeProcess,
  submitOk,
} from "./service-helpers.js";

let scratch: string;
let store: string;
const running: ChildProcess[] = [];

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "dcm-service-restart-"));
  store = join(scratch, "store");
});

afterAll(async () => {
  for (const c of running) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  await rm(scratch, { recursive: true, force: true });
});

const exited = (c: ChildProcess) =>
  new Promise<number | string>((resolve) => {
    if (c.exitCode !== null || c.signalCode !== null) resolve(c.exitCode ?? c.signalCode!);
    else c.once("exit", (code, sig) => resolve(code ?? sig!));
  });

async function interruptedBuild(tag: string, stop: NodeJS.Signals): Promise<void> {
  const first = await startServeProcess(store, 0);
  running.push(first.child);
  const rec = await submitOk(first.url, KEY_A, await packZip(loopingCrate(tag)), { cfdPath: "dcm.yaml" });
  await eventually(async () => (await processesMentioning(`loopdep_${tag}-`, "build-script-build")).length > 0, "the looping build script to run");
  expect((await getBuild(first.url, KEY_A, rec.id)).state).toBe("running");
  first.child.kill(stop);
  const how = await exited(first.child);
  if (stop === "SIGTERM") expect(how).toBe(0);
  await eventually(async () => (await processesMentioning(`loopdep_${tag}`)).length === 0, "the build's processes to end with the service", 100);

  const second = await startServeProcess(store, 0);
  running.push(second.child);
  const after = await getBuild(second.url, KEY_A, rec.id);
  expect(after).toMatchObject({ state: "failed", reason: "interrupted" });
  const events = await readEvents(second.url, KEY_A, rec.id);
  expect(events[events.length - 1]).toMatchObject({ type: "state", state: "failed", reason: "interrupted" });
  second.child.kill("SIGTERM");
  expect(await exited(second.child)).toBe(0);
}

describe("a service stopped mid-build", () => {
  it("killed outright: the build's processes end, and after a restart the build is failed \"interrupted\"", async () => {
    await interruptedBuild("sigkill", "SIGKILL");
  });

  it("asked to stop: it stops the build, exits cleanly, and after a restart the build is failed \"interrupted\"", async () => {
    await interruptedBuild("sigterm", "SIGTERM");
  });
});
