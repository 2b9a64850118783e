/**
 * The two executors against a real built dist (the small fixture: `add` is
 * Add(a, b int) int, `shout` is Shout(string) string). The worker executor
 * runs the browser's worker code under Node's worker_threads.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FragmentCallError } from "../../runtime/abi/call-error.js";
import type { FragmentOutput } from "../../runtime/abi/output-types.js";
import type { Executor, ExecutorInit } from "../../runtime/client/executor-types.js";
import { createInThreadExecutor } from "../../runtime/client/in-thread-executor.js";
import { nodeWorkerSpawner } from "../../runtime/client/node-endpoint.js";
import { WorkerExecutor } from "../../runtime/client/worker-executor.js";
import { type BuiltDist, buildNapper, buildSmall } from "./build-fixture.js";

let init: ExecutorInit;
let napInit: ExecutorInit;
const builds: BuiltDist[] = [];

/**
 * Milliseconds of a nap no test waits for: longer than vitest's test timeout, so a call that
 * returns at all was ended by its timeout or abort (what a test asserts), never by the nap.
 */
const LONG_NAP = 600_000n;

const initOf = (b: BuiltDist): ExecutorInit => ({
  manifest: b.manifest,
  modules: [{ module: b.manifest.modules.find((m) => m.target === "wasm")!, wasm: b.wasm }],
});

beforeAll(async () => {
  const [small, napper] = await Promise.all([buildSmall(), buildNapper()]);
  builds.push(small, napper);
  init = initOf(small);
  napInit = initOf(napper);
});

afterAll(async () => {
  for (const b of builds) await b.cleanup();
});

const kinds: Array<[string, () => Executor]> = [
  ["in-thread", () => createInThreadExecutor(init)],
  ["worker", () => new WorkerExecutor(init, { size: 2, spawn: nodeWorkerSpawner() })],
];

describe.each(kinds)("%s executor", (_name, make) => {
  let ex: Executor;
  beforeAll(async () => {
    ex = make();
    await ex.ready;
  });
  afterAll(async () => {
    await ex?.close();
  });

  it("runs every fragment of the small fixture", async () => {
    expect(await ex.call("add", [2n, 40n])).toBe(42n);
    expect(await ex.call("shout", ["hi"])).toBe("HI!");
    expect(ex.has("add")).toBe(true);
    expect(ex.has("nope")).toBe(false);
  });

  it("keeps 64-bit integers exact", async () => {
    expect(await ex.call("add", [2n ** 62n, 2n ** 62n - 1n])).toBe(2n ** 63n - 1n);
  });

  it("runs many concurrent calls and keeps each result with its call", async () => {
    const n = 200;
    const rs = await Promise.all(
      Array.from({ length: n }, (_, i) => ex.call(i % 2 ? "add" : "shout", i % 2 ? [BigInt(i), 1n] : [`x${i}`])),
    );
    rs.forEach((r, i) => {
      expect(r).toBe(i % 2 ? BigInt(i) + 1n : `X${i}!`);
    });
  });

  it("rejects bad arguments and unknown fragments with typed errors", async () => {
    await expect(ex.call("add", ["two", 1n])).rejects.toMatchObject({ code: "DCM_BAD_ARGUMENTS" });
    await expect(ex.call("add", [1n])).rejects.toMatchObject({ code: "DCM_BAD_ARGUMENTS" });
    const e = await ex.call("nope", []).catch((x) => x);
    expect(e).toBeInstanceOf(FragmentCallError);
    expect(e.code).toBe("DCM_NO_MODULE_FOR_SIDE");
    // Still usable afterwards.
    expect(await ex.call("add", [1n, 1n])).toBe(2n);
  });

  it("rejects a call whose signal is already aborted", async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(ex.call("add", [1n, 2n], { signal: ac.signal })).rejects.toMatchObject({ code: "DCM_CALL_CANCELLED" });
  });
});

describe("a module whose Go runtime dies", () => {
  it("in-thread: the call fails with DCM_FRAGMENT_PANIC and the next call runs on a fresh instance", async () => {
    const ex = createInThreadExecutor(napInit);
    try {
      await ex.ready;
      const e = await ex.call("deadlock", []).catch((x) => x);
      expect(e).toMatchObject({ code: "DCM_FRAGMENT_PANIC", fragment: "deadlock" });
      expect(e.message).toContain("all goroutines are asleep");
      expect(await ex.call("nap", [1n])).toBe(1n);
    } finally {
      await ex.close();
    }
  });

  it("worker: the worker is replaced and the calls queued behind the dead one still run", async () => {
    const ex = new WorkerExecutor(napInit, { size: 1, spawn: nodeWorkerSpawner() });
    try {
      await ex.ready;
      const dead = ex.call("deadlock", []).catch((x) => x);
      const behind = [ex.call("nap", [1n]), ex.call("napOnce", [1n])];
      expect(await dead).toMatchObject({ code: "DCM_FRAGMENT_PANIC" });
      expect(await Promise.all(behind)).toEqual([1n, 2n]);
      expect(ex.replaced).toBe(1);
    } finally {
      await ex.close();
    }
  });
});

describe("worker executor pool", () => {
  it("instantiates the module once per worker and reuses it", async () => {
    // What a warm call costs is bench/scenario-iii.ts's (against a bare worker round trip).
    let spawned = 0;
    const spawn = nodeWorkerSpawner();
    const ex = new WorkerExecutor(napInit, {
      size: 2,
      spawn: () => {
        spawned++;
        return spawn();
      },
    });
    try {
      await ex.ready;
      const n = 200;
      const ticks: bigint[] = [];
      for (let i = 0; i < n; i++) ticks.push((await ex.call("tick", [])) as bigint);
      // Each worker's instance counts its own calls (1, 2, 3…); an instance per call would
      // answer 1 every time. So 1 comes at most once per worker, and k+1 never more often than k.
      const counts = new Map<bigint, number>();
      for (const t of ticks) counts.set(t, (counts.get(t) ?? 0) + 1);
      expect(counts.get(1n)).toBeLessThanOrEqual(2);
      for (const [v, c] of counts) if (v > 1n) expect(c, `tick ${v}`).toBeLessThanOrEqual(counts.get(v - 1n) ?? 0);
      expect(ticks.reduce((a, b) => (b > a ? b : a), 0n)).toBeGreaterThanOrEqual(BigInt(n / 2));
      expect(spawned).toBe(2);
      expect(ex.replaced).toBe(0);
    } finally {
      await ex.close();
    }
  });

  it("spreads concurrent calls over the workers", async () => {
    const seen: number[] = [];
    const base = nodeWorkerSpawner();
    let n = 0;
    const spawn = () => {
      const ep = base();
      const me = n++;
      const post = ep.postMessage.bind(ep);
      ep.postMessage = (m, t) => {
        if ((m as { t: string }).t === "call") seen.push(me);
        post(m, t);
      };
      return ep;
    };
    // The postMessage dispatcher is what spreads calls; shared-memory calls are not posted (and an idle
    // worker can answer one before the next call is made), so this test runs without them.
    const ex = new WorkerExecutor(init, { size: 3, spawn, fastPath: false });
    try {
      await ex.ready;
      await Promise.all(Array.from({ length: 30 }, (_, i) => ex.call("add", [BigInt(i), 0n])));
      expect(new Set(seen)).toEqual(new Set([0, 1, 2]));
    } finally {
      await ex.close();
    }
  });

  it("replaces a crashed worker and re-sends the calls queued behind the crash", async () => {
    const spawnCrashy = nodeWorkerSpawner({ url: new URL("./crashy-worker.ts", import.meta.url) });
    const endpoints: Array<ReturnType<typeof spawnCrashy>> = [];
    const ex = new WorkerExecutor(init, {
      size: 1,
      // The test orders `die` before the calls by message order; the fast path would run the first call first.
      fastPath: false,
      spawn: () => {
        const ep = spawnCrashy();
        endpoints.push(ep);
        return ep;
      },
    });
    try {
      await ex.ready;
      // The worker handles `die` before the calls: the first call counts as running when it dies.
      endpoints[0]!.postMessage({ t: "die" });
      const out = await Promise.all(
        Array.from({ length: 5 }, (_, i) =>
          ex.call("add", [BigInt(i), 1n]).then(
            (v) => ({ v }),
            (e) => ({ e }),
          ),
        ),
      );
      expect(out[0]).toMatchObject({ e: { code: "DCM_FRAGMENT_PANIC" } });
      expect(out.slice(1)).toEqual([{ v: 2n }, { v: 3n }, { v: 4n }, { v: 5n }]);
      expect(ex.replaced).toBe(1);
      expect(endpoints.length).toBe(2);
      expect(await ex.call("shout", ["again"])).toBe("AGAIN!");
    } finally {
      await ex.close();
    }
  });

  it("a timed-out call gets its worker replaced, and the calls queued behind it run on the new one", async () => {
    const ex = new WorkerExecutor(napInit, { size: 1, spawn: nodeWorkerSpawner() });
    try {
      await ex.ready;
      // A nap far longer than the test may run: only the timeout can end this call.
      const p = ex.call("nap", [LONG_NAP], { timeoutMs: 150 }).catch((e) => e);
      const q = ex.call("napOnce", [1n]);
      expect(await p).toMatchObject({ code: "DCM_CALL_TIMEOUT" });
      expect(await q).toBe(2n);
      expect(ex.replaced).toBe(1);
      expect(await ex.call("nap", [1n])).toBe(1n);
    } finally {
      await ex.close();
    }
  });

  it("aborting a running call replaces its worker at once", async () => {
    const ex = new WorkerExecutor(napInit, { size: 1, spawn: nodeWorkerSpawner() });
    try {
      await ex.ready;
      const ac = new AbortController();
      const p = ex.call("nap", [LONG_NAP], { signal: ac.signal }).catch((e) => e);
      setTimeout(() => ac.abort(), 100);
      // Only the abort can end this call (the nap outlasts the test).
      expect(await p).toMatchObject({ code: "DCM_CALL_CANCELLED" });
      expect(ex.replaced).toBe(1);
      expect(await ex.call("nap", [1n])).toBe(1n);
    } finally {
      await ex.close();
    }
  });

  it("abort while queued rejects at once and leaves the pool intact", async () => {
    // postMessage path: on the shared-memory path the first call may be answered before the second
    // is made, and then the second is in flight rather than queued.
    const ex = new WorkerExecutor(init, { size: 1, spawn: nodeWorkerSpawner(), fastPath: false });
    try {
      await ex.ready;
      const ac = new AbortController();
      const first = ex.call("add", [1n, 1n]);
      const second = ex.call("add", [2n, 2n], { signal: ac.signal });
      ac.abort();
      await expect(second).rejects.toMatchObject({ code: "DCM_CALL_CANCELLED" });
      expect(await first).toBe(2n);
      expect(ex.replaced).toBe(0);
    } finally {
      await ex.close();
    }
  });

  it("close() rejects calls in flight and later calls", async () => {
    // postMessage path: on the shared-memory path a spinning worker may answer before close() runs,
    // and then the call is no longer in flight.
    const ex = new WorkerExecutor(init, { size: 1, spawn: nodeWorkerSpawner(), fastPath: false });
    await ex.ready;
    const p = ex.call("shout", ["bye"]);
    await ex.close();
    await expect(p).rejects.toMatchObject({ code: "DCM_CALL_CANCELLED" });
    await expect(ex.call("add", [1n, 1n])).rejects.toMatchObject({ code: "DCM_CALL_CANCELLED" });
  });
});

describe("worker executor shared-memory fast path", () => {
  it("gives the same results as the postMessage path, and takes the fast path for calls to an idle worker", async () => {
    const fast = new WorkerExecutor(init, { size: 1, spawn: nodeWorkerSpawner() });
    const slow = new WorkerExecutor(init, { size: 1, spawn: nodeWorkerSpawner(), fastPath: false });
    try {
      await Promise.all([fast.ready, slow.ready]);
      const cases: Array<[string, unknown[]]> = [
        ["add", [2n, 3n]],
        ["add", [-(2n ** 62n), 2n ** 62n - 1n]],
        ["shout", ["héllo wörld"]],
        ["shout", [""]],
        ["add", ["x", 1n]],
        ["add", [1n]],
        ["nope", []],
      ];
      for (const [f, args] of cases) {
        const a = await fast.call(f, args as never).then(
          (v) => ({ v }),
          (e) => ({ e: { code: e.code, message: e.message } }),
        );
        const b = await slow.call(f, args as never).then(
          (v) => ({ v }),
          (e) => ({ e: { code: e.code, message: e.message } }),
        );
        expect(a, `${f}(${String(args)})`).toEqual(b);
      }
      expect(fast.fastCalls).toBe(4); // the well-formed calls of known fragments
      expect(slow.fastCalls).toBe(0);
    } finally {
      await Promise.all([fast.close(), slow.close()]);
    }
  });

  it("sends arguments larger than the data region by postMessage", async () => {
    const ex = new WorkerExecutor(init, { size: 1, spawn: nodeWorkerSpawner() });
    try {
      await ex.ready;
      const big = "a".repeat(200_000);
      expect(await ex.call("shout", [big])).toBe(`${big.toUpperCase()}!`);
      expect(ex.fastCalls).toBe(0);
      for (let i = 0; i < 3; i++) expect(await ex.call("shout", ["x"])).toBe("X!");
      expect(ex.fastCalls).toBeGreaterThanOrEqual(2);
    } finally {
      await ex.close();
    }
  });

  it("mixes fast and postMessage calls under concurrency, each result with its call", async () => {
    const ex = new WorkerExecutor(init, { size: 2, spawn: nodeWorkerSpawner() });
    try {
      await ex.ready;
      for (let round = 0; round < 5; round++) {
        const out = await Promise.all(Array.from({ length: 40 }, (_, i) => ex.call("add", [BigInt(i), BigInt(round)])));
        expect(out).toEqual(Array.from({ length: 40 }, (_, i) => BigInt(i + round)));
      }
      expect(ex.fastCalls).toBeGreaterThan(0);
    } finally {
      await ex.close();
    }
  });

  it("a timed-out or aborted fast call replaces its worker", async () => {
    const ex = new WorkerExecutor(napInit, { size: 1, spawn: nodeWorkerSpawner() });
    try {
      await ex.ready;
      expect(await ex.call("nap", [LONG_NAP], { timeoutMs: 150 }).catch((e) => e)).toMatchObject({
        code: "DCM_CALL_TIMEOUT",
      });
      expect(ex.fastCalls).toBe(1);
      expect(ex.replaced).toBe(1);
      // The successor answers by message until it is ready, then by shared memory.
      for (let i = 0; i < 3; i++) expect(await ex.call("nap", [1n])).toBe(1n);
      const before = ex.fastCalls;
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 100);
      expect(await ex.call("nap", [LONG_NAP], { signal: ac.signal }).catch((e) => e)).toMatchObject({
        code: "DCM_CALL_CANCELLED",
      });
      expect(ex.fastCalls).toBe(before + 1);
      expect(ex.replaced).toBe(2);
      expect(await ex.call("nap", [1n])).toBe(1n);
    } finally {
      await ex.close();
    }
  });
});

describe("what fragments print", () => {
  const withOutput = (seen: FragmentOutput[]): ExecutorInit => ({ ...napInit, onOutput: (o) => seen.push(o) });
  const chirp = (s: string): FragmentOutput => ({
    fragment: "chirp",
    chunks: [
      { stream: "stdout", text: `${s}\n` },
      { stream: "stderr", text: "chirped\n" },
    ],
    dropped: 0,
  });
  const makers: Array<[string, (init: ExecutorInit) => Executor]> = [
    ["in-thread", (i) => createInThreadExecutor(i)],
    ["worker (shared memory)", (i) => new WorkerExecutor(i, { size: 1, spawn: nodeWorkerSpawner() })],
    ["worker (messages)", (i) => new WorkerExecutor(i, { size: 1, spawn: nodeWorkerSpawner(), fastPath: false })],
  ];

  it.each(makers)("reaches onOutput once per call that printed, with the fragment id (%s)", async (_n, make) => {
    const seen: FragmentOutput[] = [];
    const ex = make(withOutput(seen));
    try {
      await ex.ready;
      expect(await ex.call("chirp", ["one"])).toBe(3n);
      expect(await ex.call("nap", [1n])).toBe(1n);
      expect(await ex.call("chirp", ["two!"])).toBe(4n);
      // A worker posts the output before its answer; by message it may still be on its way.
      for (let i = 0; i < 50 && seen.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
      expect(seen).toEqual([chirp("one"), chirp("two!")]);
    } finally {
      await ex.close();
    }
  });
});
