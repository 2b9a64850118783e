/**
 * Properties of the State Manager (fast-check, against the real server on
 * loopback with real Node clients): for any sequence of calls and moves of
 * two clients — moves also racing a client's calls — every stateful call
 * returns what the same calls return on a fresh pair of clients that never
 * move (the no-move run, on the same server), and the two clients never see
 * each other's state (their values differ exactly where their calls do).
 *
 * Two dists: the hand-written glue dist (bench/state-glue-dist.ts), so
 * that many runs fit, and one language's real fixtures/state built by `dcm
 * build` (TypeScript when there, else the first language with one) with
 * fewer runs; test/e2e/state-languages.spec.ts runs every language.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JsValue } from "../../runtime/abi/js-values.js";
import type { Side } from "../../runtime/abi/manifest-types.js";
import type { DcmClient } from "../../runtime/client/client-distributor.js";
import { plain, type StateRig, startStateRig } from "../server/state-harness.js";
import { writeGlueDist } from "../../bench/state-glue-dist.js";
import { buildStateFixture, stateFixtureLanguages } from "../support/state-fixtures.js";
import { fuzz } from "./fuzz-config.js";

type Call = { fragment: string; args: JsValue[] };
type Op =
  | { kind: "call"; who: 0 | 1; call: Call }
  | { kind: "move"; who: 0 | 1; fragment: string; to: Side }
  /** A move started while the client keeps calling (each call awaited in turn). */
  | { kind: "race"; who: 0 | 1; fragment: string; to: Side; calls: Call[] };

const call: fc.Arbitrary<Call> = fc.oneof(
  fc.bigInt({ min: -1000n, max: 1000n }).map((n) => ({ fragment: "counter-add", args: [n] })),
  fc.constant({ fragment: "counter-get", args: [] }),
  fc.string({ maxLength: 6 }).map((s) => ({ fragment: "log-append", args: [s] })),
  fc.constant({ fragment: "log-join", args: [] }),
  fc.uint8Array({ maxLength: 40 }).map((b) => ({ fragment: "blob-put", args: [b] })),
  fc.constant({ fragment: "blob-size", args: [] }),
  fc.integer({ min: -1000, max: 1000 }).map((x) => ({ fragment: "pure-double", args: [x] })),
);
const member = fc.constantFrom("counter-add", "counter-get", "log-append", "log-join", "blob-put", "blob-size");
const side = fc.constantFrom<Side>("client", "server");
const who = fc.constantFrom<0 | 1>(0, 1);
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant("call" as const), who, call }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("move" as const), who, fragment: member, to: side }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("race" as const),
      who,
      fragment: member,
      to: side,
      calls: fc.array(call, { minLength: 1, maxLength: 5 }),
    }),
  },
);

interface Target {
  name: string;
  rig: StateRig;
  runs: number;
  cleanup(): Promise<void>;
}
const targets: Target[] = [];
let rig: StateRig;

beforeAll(async () => {
  const glue = await writeGlueDist();
  targets.push({ name: "glue", rig: await startStateRig(glue.dist, { workers: 2 }), runs: 25, cleanup: glue.cleanup });
  const langs = stateFixtureLanguages();
  const lang = langs.includes("typescript") ? "typescript" : langs[0];
  if (lang) {
    const b = await buildStateFixture(lang);
    if (b.manifest.groups !== undefined)
      targets.push({ name: lang, rig: await startStateRig(b.dist, { workers: 2 }), runs: 8, cleanup: b.cleanup });
    else await b.cleanup();
  }
}, 600_000);
afterAll(async () => {
  for (const t of targets) {
    await t.rig.close();
    await t.cleanup();
  }
});

let run = 0;

async function place(c: DcmClient, fragment: string, to: Side): Promise<void> {
  const r = await rig.place(c.clientId!, fragment, to);
  if (r.status !== 200) throw new Error(`move of ${fragment} to ${to}: ${r.status} ${JSON.stringify(r.body)}`);
}

/** Runs the ops; with `moves` false the moves are skipped (the reference). Returns each call's value, per client. */
async function play(ops: Op[], moves: boolean): Promise<[unknown[], unknown[]]> {
  const tag = `p${++run}${moves ? "m" : "r"}`;
  const clients = [await rig.client(`${tag}-a`), await rig.client(`${tag}-b`)];
  const out: [unknown[], unknown[]] = [[], []];
  try {
    for (const o of ops) {
      const c = clients[o.who]!;
      if (o.kind === "call") out[o.who].push(plain(await c.call(o.call.fragment, o.call.args)));
      else if (o.kind === "move") {
        if (moves) await place(c, o.fragment, o.to);
      } else {
        const moving = moves ? place(c, o.fragment, o.to) : Promise.resolve();
        for (const k of o.calls) out[o.who].push(plain(await c.call(k.fragment, k.args)));
        await moving;
      }
    }
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    rig.clients.length = 0;
  }
  return out;
}

describe("state moves (property, real server)", () => {
  it("calls return the no-move run's values, whatever the moves; two clients never share state", async () => {
    for (const t of targets) {
      rig = t.rig;
      const committed = rig.server.app.dcm.distributor.transfers.committed;
      await fc.assert(
        fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 14 }), async (ops) => {
          const [moved, reference] = [await play(ops, true), await play(ops, false)];
          expect(moved).toEqual(reference);
          // Isolation: client b's values are those of b's calls alone (a fresh pair where a does nothing).
          const onlyB = ops.filter((o) => o.who === 1);
          const [, bAlone] = await play(onlyB, true);
          expect(moved[1]).toEqual(bAlone);
        }),
        fuzz(t.runs, 60),
      );
      // The runs did move state both ways (not only calls).
      const moves = rig.server.app.dcm.distributor.transfers.committed - committed;
      console.log(`state-moves: ${t.name}: ${moves} moves committed`);
      expect(moves, t.name).toBeGreaterThan(t.runs / 2);
    }
  }, 400_000);
});
