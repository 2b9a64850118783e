/**
 * The TypeScript state accessors' generated code against
 * test/golden/typescript/state/ (UPDATE_GOLDEN=1 rewrites; the repository
 * path appears as $REPO): the entry module of languages/typescript/fixtures/state
 * with the three groups core plans for it (src/build/state-groups.ts), and
 * the accessor objects the bundle appends to the files that declare the
 * variables. Also: the content key follows the groups, and the user's
 * files stay unwritten.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { renderEntry, type TsBuildSpec } from "../../../languages/typescript/generate/generate-ts.js";
import { stateObjectName } from "../../../languages/typescript/generate/state-accessors.js";
import typescriptAdapter from "../../../languages/typescript/adapter.js";
import { analyzeProject } from "../../../src/build/analyze-project.js";
import type { AnalysisResult, StateAccessorRequest } from "../../../src/languages/adapter-types.js";
import { TS_FIXTURES } from "./ts-fixture.js";

const STATE = join(TS_FIXTURES, "state");
const GOLDEN = join(import.meta.dirname, "..", "..", "golden", "typescript", "state");
const UPDATE = process.env.UPDATE_GOLDEN === "1";
const temp: string[] = [];
afterAll(() => {
  for (const d of temp) rmSync(d, { recursive: true, force: true });
});

/** The TypeScript analysis with the state records core adds, and core's accessor requests. */
async function planned(): Promise<{ analysis: AnalysisResult; stateGroups: StateAccessorRequest[] }> {
  const p = await analyzeProject(STATE, join(STATE, "dcm.yaml"));
  const lang = p.languages.find((l) => l.adapter.id === "typescript")!;
  const stateGroups = p.state!.requests.get("typescript") ?? [];
  const records = Object.fromEntries(stateGroups.map((g) => [g.record, p.state!.records[g.record]!]));
  return { analysis: { ...lang.result, types: { ...lang.result.types, ...records } }, stateGroups };
}

function golden(name: string, text: string): void {
  const file = join(GOLDEN, name);
  if (UPDATE) {
    mkdirSync(GOLDEN, { recursive: true });
    writeFileSync(file, text);
  } else {
    expect(existsSync(file), `missing ${file} (run with UPDATE_GOLDEN=1)`).toBe(true);
    expect(text, name).toBe(readFileSync(file, "utf8"));
  }
}

describe("TypeScript state accessors: generated code", () => {
  it("entry and appended accessor objects match test/golden/typescript/state", async () => {
    const { analysis, stateGroups } = await planned();
    expect(stateGroups.map((g) => [g.group, g.get.export, g.set.export])).toEqual([
      ["group-blob-put", "dcm_state_get_1", "dcm_state_set_1"],
      ["group-counter-add", "dcm_state_get_2", "dcm_state_set_2"],
      ["group-log-append", "dcm_state_get_3", "dcm_state_set_3"],
    ]);
    const { text, exports, appends } = renderEntry({
      repo: STATE,
      analysis,
      fragments: analysis.fragments,
      stateGroups,
    });
    golden("dcm-entry.mjs", text.replaceAll(STATE, "$REPO"));
    expect(Object.keys(appends).sort()).toEqual(["src/blob.ts", "src/counter.ts", "src/journal.ts"]);
    for (const [file, code] of Object.entries(appends)) {
      expect(code).toContain(`export const ${stateObjectName(file)} = {`);
      golden(`${file.replaceAll("/", "__")}.append`, code);
    }
    for (const g of stateGroups) {
      expect(exports[g.get.id]).toBe(g.get.export);
      expect(exports[g.set.id]).toBe(g.set.export);
    }
  });

  it("changes the content key with the groups, and never writes the repository", async () => {
    const { analysis, stateGroups } = await planned();
    const stamp = () =>
      readdirSync(STATE, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => `${join(e.parentPath, e.name)} ${statSync(join(e.parentPath, e.name)).mtimeMs}`)
        .sort();
    const before = stamp();
    const key = async (groups: StateAccessorRequest[]) => {
      const workDir = mkdtempSync(join(tmpdir(), "dcm-ts-state-gen-"));
      temp.push(workDir);
      const project = await typescriptAdapter.generate(
        { repo: STATE, analysis, fragments: analysis.fragments, side: "client", workDir, stateGroups: groups },
        "js",
      );
      expect((project.buildSpec as TsBuildSpec).diagnostics).toEqual([]);
      return project.contentKey;
    };
    const all = await key(stateGroups);
    expect(await key(stateGroups)).toBe(all);
    const two = await key(stateGroups.slice(0, 2));
    const none = await key([]);
    expect(new Set([all, two, none]).size).toBe(3);
    expect(stamp()).toEqual(before);
  });
});
