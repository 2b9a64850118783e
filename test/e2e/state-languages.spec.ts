/**
 * Stateful groups of every language whose `languages/<id>/fixtures/state`
 * exists (registry-driven), built with the real `dcm build` (once per
 * language), on the real server on loopback with real Node clients:
 * interleaved calls and moves of each group both ways return what the same
 * calls return on a client that never moves (the no-move run on the same
 * server); two clients never see each other's state; the API lists the
 * whole group and refuses a split. The failure paths (refused restore,
 * timeout, forged messages) are language-independent:
 * test/server/state-runtime.spec.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JsValue } from "../../runtime/abi/js-values.js";
import type { Side } from "../../runtime/abi/manifest-types.js";
import type { DcmClient } from "../../runtime/client/client-distributor.js";
import { plain, type StateRig, startStateRig } from "../server/state-harness.js";
import {
  type BuiltStateFixture,
  buildStateFixture,
  stateFixtureLanguages,
  stateFixtureProblem,
} from "../support/state-fixtures.js";

const LANGS = stateFixtureLanguages();

type Step = { call: string; args: JsValue[] } | { move: string; to: Side };

/** Calls of every fragment with moves of each group both ways in between (and a group moved twice in a row). */
const SCRIPT: Step[] = [
  { call: "counter-add", args: [5n] },
  { call: "log-append", args: ["alpha"] },
  { call: "blob-put", args: [Uint8Array.of(1, 2, 3)] },
  { move: "counter-get", to: "client" },
  { call: "counter-add", args: [-2n] },
  { call: "counter-get", args: [] },
  { move: "log-join", to: "client" },
  { call: "log-append", args: ["βeta"] },
  { call: "log-join", args: [] },
  { move: "blob-size", to: "client" },
  { call: "blob-put", args: [Uint8Array.of(255, 0)] },
  { call: "blob-size", args: [] },
  { move: "counter-add", to: "server" },
  { call: "counter-add", args: [9007199254740993n] },
  { call: "counter-get", args: [] },
  { call: "pure-double", args: [21] },
  { move: "log-append", to: "server" },
  { move: "log-append", to: "client" },
  { call: "log-join", args: [] },
  { move: "blob-put", to: "server" },
  { call: "blob-size", args: [] },
  { move: "counter-get", to: "client" },
  { call: "counter-add", args: [1n] },
];

describe.each(LANGS)("state of %s (fixtures/state)", (lang) => {
  let built: BuiltStateFixture;
  let rig: StateRig;
  let missing: string | null = null;

  beforeAll(async () => {
    built = await buildStateFixture(lang);
    // Before core's grouping is merged the manifest has no `groups` at all: say so instead of failing.
    if (built.manifest.groups === undefined) missing = "the manifest has no `groups` (core's grouping is not in this build)";
    else {
      const problem = stateFixtureProblem(built.manifest);
      if (problem) throw new Error(`languages/${lang}/fixtures/state: ${problem}`);
      rig = await startStateRig(built.dist, { workers: 2 });
    }
  }, 600_000);
  afterAll(async () => {
    await rig?.close();
    await built?.cleanup();
  });

  const play = async (c: DcmClient, steps: Step[], moves: boolean) => {
    const out: unknown[] = [];
    for (const s of steps) {
      if ("call" in s) out.push([s.call, plain(await c.call(s.call, s.args))]);
      else if (moves) {
        const r = await rig.place(c.clientId!, s.move, s.to);
        expect(r.status, `${lang}: move ${s.move} to ${s.to}: ${JSON.stringify(r.body)}`).toBe(200);
      }
    }
    return out;
  };

  it("moves each group with its state both ways: values equal the no-move run; clients stay isolated", async (ctx) => {
    if (missing) {
      console.warn(`state-languages: ${lang} not run: ${missing}`);
      ctx.skip();
    }
    const a = await rig.client(`${lang}-a`);
    const b = await rig.client(`${lang}-b`);
    // Start every group on the server (the CFD places writers there, readers on the client).
    for (const c of [a, b]) for (const f of ["counter-add", "log-append", "blob-put"]) await rig.place(c.clientId!, f, "server");
    // b works on its own state meanwhile: its values must not depend on a's.
    const bSteps: Step[] = [
      { call: "counter-add", args: [1000n] },
      { call: "log-append", args: ["b"] },
      { move: "counter-add", to: "client" },
    ];
    const bFirst = await play(b, bSteps, true);
    const moved = await play(a, SCRIPT, true);
    const bLater = await play(b, [{ call: "counter-get", args: [] }, { call: "log-join", args: [] }], true);
    const ref = await rig.client(`${lang}-ref`);
    for (const f of ["counter-add", "log-append", "blob-put"]) await rig.place(ref.clientId!, f, "server");
    expect(moved).toEqual(await play(ref, SCRIPT, false));
    expect(bFirst).toEqual([
      ["counter-add", "1000n"],
      ["log-append", 1],
    ]);
    expect(bLater).toEqual([
      ["counter-get", "1000n"],
      ["log-join", "b"],
    ]);
    // Both directions happened for real.
    expect(rig.server.app.dcm.distributor.transfers.committed).toBeGreaterThanOrEqual(9);
  }, 300_000);

  it("answers a move with the whole group, and refuses a split", async (ctx) => {
    if (missing) ctx.skip();
    const c = await rig.client(`${lang}-api`);
    const counter = built.manifest.groups!.find((g) => g.fragments.includes("counter-add"))!;
    const res = await rig.place(c.clientId!, "counter-add", c.where("counter-add") === "server" ? "client" : "server");
    expect(res.status).toBe(200);
    expect(res.body.moved).toEqual([...counter.fragments].sort());
    const split = await rig.placeMany([
      { clientId: c.clientId!, fragmentId: "log-append", runOn: "client" },
      { clientId: c.clientId!, fragmentId: "log-join", runOn: "server" },
    ]);
    expect(split.status).toBe(400);
    expect(split.body).toMatchObject({ error: { code: "DCM_GROUP_SPLIT" } });
  }, 120_000);
});
