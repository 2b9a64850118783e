/**
 * Rust state vars (issue 12, docs/state.md) over the common state fixture
 * (languages/rust/fixtures/state): the statics the fragments' closures
 * change, each fragment's keys, the snapshot types, and the refusal of a
 * static that holds a file.
 */
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { analyzeRust } from "../../../languages/rust/analysis/analyze-rust.js";
import type { AnalysisResult } from "../../../src/languages/adapter-types.js";
import { analyzeApp, FIXTURES, frag, STATE_FRAGMENTS } from "./helpers.js";

const STATE = join(FIXTURES, "state");

let res: AnalysisResult;
const stateOf = (id: string) => res.fragments.find((f) => f.id === id)?.state;

beforeAll(async () => {
  res = await analyzeRust({ repo: STATE, fragments: STATE_FRAGMENTS });
});

describe("rust analysis: state vars", () => {
  it("finds the three statics the fixture's fragments change, with their snapshot types", () => {
    expect(res.diagnostics).toEqual([]);
    expect(res.stateVars?.map(({ key, name, unit, pos, type }) => ({ key, name, unit, pos, type }))).toEqual([
      {
        key: "crate::counter.TOTAL",
        name: "TOTAL",
        unit: "crate::counter",
        pos: { file: "src/counter.rs", line: 4, col: 12 },
        type: { kind: "int", bits: 64, signed: true },
      },
      {
        key: "crate::journal::store.ENTRIES",
        name: "ENTRIES",
        unit: "crate::journal::store",
        pos: { file: "src/journal/store.rs", line: 3, col: 8 },
        type: { kind: "list", elem: { kind: "string" } },
      },
      {
        key: "crate::uploads.BUFFER",
        name: "BUFFER",
        unit: "crate::uploads",
        pos: { file: "src/uploads.rs", line: 5, col: 8 },
        type: { kind: "bytes" },
      },
    ]);
  });

  it("gives each fragment the keys of its closure: through a helper, a private submodule, or directly", () => {
    expect(stateOf("counter-add")).toEqual(["crate::counter.TOTAL"]);
    expect(stateOf("counter-get")).toEqual(["crate::counter.TOTAL"]);
    expect(stateOf("log-append")).toEqual(["crate::journal::store.ENTRIES"]);
    expect(stateOf("log-join")).toEqual(["crate::journal::store.ENTRIES"]);
    expect(stateOf("blob-put")).toEqual(["crate::uploads.BUFFER"]);
    expect(stateOf("blob-size")).toEqual(["crate::uploads.BUFFER"]);
    expect(stateOf("pure-double")).toBeUndefined();
  });

  it("does not take a read-only static for state (the app fixture's GREETING)", async () => {
    const app = await analyzeApp();
    expect(app.stateVars).toBeUndefined();
    expect(app.fragments.filter((f) => f.state?.length)).toEqual([]);
  });

  it("marks a static holding a file as not encodable, at the variable, with a way out", async () => {
    const refused = await analyzeRust({ repo: join(FIXTURES, "state-refused"), fragments: [frag("write-line", "src/lib.rs", "write_line")] });
    expect(refused.fragments[0]!.state).toEqual(["crate.OUT"]);
    const v = refused.stateVars![0]!;
    expect(v).toMatchObject({ key: "crate.OUT", pos: { file: "src/lib.rs", line: 7, col: 8 } });
    expect(v.type).toBeUndefined();
    expect(v.cannotEncode!.what).toMatch(/static `OUT: Mutex<Option<File>>` cannot be snapshotted: `File`.*another crate/);
    expect(v.cannotEncode!.pos).toEqual({ file: "src/lib.rs", line: 7, col: 8 });
    expect(v.cannotEncode!.suggestion).toMatch(/stateful: false/);
  });
});
