/**
 * Rust state accessors end to end with the real cargo (issue 12,
 * docs/state.md): the state fixtures' client module (wasm32) and server
 * plugin (native), loaded with the runtime's loaders; a group's state taken
 * with `get` on one side and put with `set` on the other gives the same
 * answers there as on the side that made it.
 */
import { cpSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { wasmBindgenToolchain } from "../../languages/rust/toolchain/wasm-bindgen-tools.js";
import { FragmentCallError } from "../../runtime/abi/call-error.js";
import type { JsValue } from "../../runtime/abi/js-values.js";
import { FIXTURES, frag, STATE_FRAGMENTS } from "../unit/rust-analysis/helpers.js";
import { buildStateModules, type StateModules } from "./harness/rust-state-modules.js";

let state: StateModules;
let kinds: StateModules;

beforeAll(async () => {
  const scratch = await mkdtemp(join(tmpdir(), "dcm-rust-state-"));
  state = await buildStateModules(join(FIXTURES, "state"), STATE_FRAGMENTS, join(scratch, "state"));
  kinds = await buildStateModules(
    join(FIXTURES, "state-kinds"),
    ["record", "set_step", "summary", "poison", "locked"].map((n) => frag(n.replace("_", "-"), "src/lib.rs", n)),
    join(scratch, "kinds"),
  );
}, 900_000);

afterAll(async () => {
  await state?.close();
  await kinds?.close();
});

type Call = (id: string, args: JsValue[]) => Promise<JsValue>;
const groupOf = (m: StateModules, fragment: string) => m.groups.find((g) => g.group === `group-${fragment}`)!;

/** Takes the group's state on `from` and puts it on `to`; returns the record. */
async function move(m: StateModules, group: string, from: Call, to: Call): Promise<JsValue> {
  const g = groupOf(m, group);
  const snapshot = await from(g.get.id, []);
  expect(await to(g.set.id, [snapshot])).toBeNull();
  return snapshot;
}

describe("rust state accessors: the common state fixture", () => {
  it("asks for the three groups the fixture contract names", () => {
    expect(state.groups.map((g) => [g.group, g.vars.map((v) => v.key)])).toEqual([
      ["group-blob-put", ["crate::uploads.BUFFER"]],
      ["group-counter-add", ["crate::counter.TOTAL"]],
      ["group-log-append", ["crate::journal::store.ENTRIES"]],
    ]);
  });

  it("moves the counter from the server to the client and back", async () => {
    for (const n of [5n, -2n, 40n]) await state.native("counter-add", [n]);
    expect(await state.native("counter-get", [])).toBe(43n);
    expect(await move(state, "counter-add", state.native, state.wasm)).toEqual({ TOTAL: 43n });
    expect(await state.wasm("counter-get", [])).toBe(43n);
    expect(await state.wasm("counter-add", [2n ** 62n])).toBe(2n ** 62n + 43n);
    await move(state, "counter-add", state.wasm, state.native);
    expect(await state.native("counter-add", [0n])).toBe(2n ** 62n + 43n);
  });

  it("moves the journal (a Mutex in a private submodule) with non-ASCII strings", async () => {
    for (const s of ["héllo", "🦀,crab", ""]) await state.native("log-append", [s]);
    expect(await move(state, "log-append", state.native, state.wasm)).toEqual({ ENTRIES: ["héllo", "🦀,crab", ""] });
    expect(await state.wasm("log-join", [])).toBe(await state.native("log-join", []));
    expect(await state.wasm("log-join", [])).toBe("héllo,🦀,crab,");
    // set replaces the whole list: what the client had before is gone.
    await state.wasm("log-append", ["client only"]);
    await move(state, "log-append", state.native, state.wasm);
    expect(await state.wasm("log-append", ["x"])).toBe(4);
  });

  it("moves the upload buffer (a RwLock) byte for byte, 0xff included", async () => {
    await state.native("blob-put", [new Uint8Array([0xff, 0, 0x80])]);
    await state.native("blob-put", [new Uint8Array(1000).fill(0xff)]);
    const snap = (await move(state, "blob-put", state.native, state.wasm)) as { BUFFER: Uint8Array };
    expect(snap.BUFFER.length).toBe(1003);
    expect([...snap.BUFFER.slice(0, 4)]).toEqual([0xff, 0, 0x80, 0xff]);
    expect(await state.wasm("blob-size", [])).toBe(1003);
    const back = (await state.wasm(groupOf(state, "blob-put").get.id, [])) as { BUFFER: Uint8Array };
    expect(back.BUFFER).toEqual(snap.BUFFER);
  });

  it("leaves the other groups and the stateless fragment alone", async () => {
    expect(await state.wasm("pure-double", [21])).toBe(42);
    const before = await state.native("log-join", []);
    await move(state, "counter-add", state.wasm, state.native);
    expect(await state.native("log-join", [])).toBe(before);
  });

  it("refuses a record that does not decode, and changes nothing", async () => {
    const g = groupOf(state, "counter-add");
    const before = await state.wasm("counter-get", []);
    const err = await state.wasm(g.set.id, [{ TOTAL: "x" }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FragmentCallError);
    expect(await state.wasm("counter-get", [])).toBe(before);
  });
});

describe("rust state accessors: every kind of static", () => {
  it("round-trips an atomic, a static mut record, a LazyLock'd Mutex of a map, thread-local Cell and RefCell", async () => {
    await kinds.native("set-step", [3]);
    await kinds.native("record", ["zoë", 2n]);
    await kinds.native("record", ["al", -1n]);
    await kinds.native("set-step", [10]);
    expect(await kinds.native("record", ["zoë", 5n])).toBe(3n);
    const summary = await kinds.native("summary", []);
    expect(summary).toBe('hits=3 step=10 last=Some(("zoë", 50)) board=[al:[-3] zoë:[6, 50]] totals=[al=-3 zoë=56]');
    const g = groupOf(kinds, "record");
    const snap = (await kinds.native(g.get.id, [])) as Record<string, JsValue>;
    expect(snap.HITS).toBe(3n);
    expect(snap.LAST).toEqual({ player: "zoë", points: 50n });
    expect(snap.STEP).toBe(10);
    expect(snap.BOARD).toEqual(
      new Map([
        ["al", [{ player: "al", points: -3n }]],
        ["zoë", [{ player: "zoë", points: 6n }, { player: "zoë", points: 50n }]],
      ]),
    );
    expect(snap.TOTALS).toEqual(new Map([["al", { player: "al", points: -3n }], ["zoë", { player: "zoë", points: 56n }]]));
    await kinds.wasm(g.set.id, [snap]);
    expect(await kinds.wasm("summary", [])).toBe(summary);
    expect(await kinds.wasm("record", ["al", 1n])).toBe(4n);
    await move(kinds, "record", kinds.wasm, kinds.native);
    expect(await kinds.native("summary", [])).toBe(await kinds.wasm("summary", []));
  });

  it("answers a poisoned lock with a typed error naming the var, not a panic", async () => {
    const g = groupOf(kinds, "locked");
    expect(await kinds.native(g.get.id, [])).toEqual({ LOCKED: 7 });
    const panic = await kinds.native("poison", []).catch((e: unknown) => e);
    expect(panic).toMatchObject({ code: "DCM_FRAGMENT_PANIC" });
    const err = await kinds.native(g.get.id, []).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FragmentCallError);
    expect(err).toMatchObject({ code: "DCM_FRAGMENT_ERROR" });
    expect((err as Error).message).toMatch(/state var LOCKED \(src\/lib\.rs:14\) is poisoned/);
    expect(await kinds.native("locked", [])).toBe(-1);
  });
});

describe("rust state accessors: the wasm-bindgen client module (dcm build's default)", async () => {
  const tools = await wasmBindgenToolchain.tools();
  it.skipIf(!tools)("exports the accessors through wasm-bindgen and moves state into it and out of it", async () => {
    const dir = await mkdtemp(join(tmpdir(), "dcm-rust-state-bindgen-"));
    const m = await buildStateModules(join(FIXTURES, "state"), STATE_FRAGMENTS, dir, { bindgen: tools! });
    try {
      await m.native("counter-add", [-7n]);
      await m.native("log-append", ["ü"]);
      await m.native("blob-put", [new Uint8Array([0xff, 0xfe])]);
      for (const g of m.groups) await m.wasm(g.set.id, [await m.native(g.get.id, [])]);
      expect([await m.wasm("counter-get", []), await m.wasm("log-join", []), await m.wasm("blob-size", [])]).toEqual([-7n, "ü", 2]);
      await m.wasm("counter-add", [10n]);
      await move(m, "counter-add", m.wasm, m.native);
      expect(await m.native("counter-get", [])).toBe(3n);
    } finally {
      await m.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);
});

describe("rust state accessors: editions", () => {
  // The generated code must compile in every edition: 2015 reads `dyn ::std::…` as a path, 2024 wants `#[unsafe(no_mangle)]`.
  it.each(["2015", "2024"])("edition %s: the state fixture's state moves from the server to the client", async (edition) => {
    const dir = await mkdtemp(join(tmpdir(), `dcm-rust-state-${edition}-`));
    cpSync(join(FIXTURES, "state"), dir, { recursive: true });
    const toml = join(dir, "Cargo.toml");
    writeFileSync(toml, readFileSync(toml, "utf8").replace('edition = "2021"', `edition = "${edition}"`));
    // A throw-away crate (its path names its cargo folders): its cache goes with it.
    const m = await buildStateModules(dir, STATE_FRAGMENTS, join(dir, "out"), { cacheDir: join(dir, "cache") });
    try {
      await m.native("counter-add", [5n]);
      await m.native("log-append", ["é"]);
      await m.native("blob-put", [new Uint8Array([0xff])]);
      for (const g of m.groups) await m.wasm(g.set.id, [await m.native(g.get.id, [])]);
      expect([await m.wasm("counter-get", []), await m.wasm("log-join", []), await m.wasm("blob-size", [])]).toEqual([5n, "é", 1]);
    } finally {
      await m.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);
});
