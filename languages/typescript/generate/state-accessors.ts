/**
 * The state accessors of a TypeScript `js` module (docs/abi.md "State",
 * docs/state.md): for every GenerateRequest.stateGroups entry, a `get` and a
 * `set` export of the entry module that read and assign the group's module
 * variables.
 *
 * Those variables are usually not exported, so the entry cannot reach them
 * by importing. Instead the bundle appends to each file that declares state
 * variables one exported object of tiny getter/setter closures (an esbuild
 * onLoad hook, toolchain/bundle.ts), under a name derived from the file's
 * path that only the entry imports. The user's files are never written; a
 * `export *` of such a file re-exports the object too, which is harmless
 * (one name per file, so two files never clash).
 *
 * How `set` assigns (TsStateDetail.mode): a `let`/`var` is reassigned; a
 * `const` keeps its object, which is refilled in place (array: emptied and
 * pushed; Map: cleared and set; object: own keys deleted, fields assigned;
 * Uint8Array: copied over, same length only). Values are fresh copies (the
 * glue round-trips them through the codec), so aliasing between variables
 * is not kept.
 *
 * Known limitation: a variable without TsStateDetail (an analysis from
 * another adapter version) cannot be reached; generation throws, as for any
 * inconsistent request.
 */
import { createHash } from "node:crypto";
import type { GenerateRequest, StateAccessorRequest } from "../../../src/languages/adapter-types.js";
import type { LiftSpec, RecordLift, TsStateDetail } from "../ts-types.js";

export interface StateAccessorCode {
  /** Repo-relative file -> code the bundle appends to it. */
  appends: Record<string, string>;
  /** Entry lines: one import per state file (absolute paths). */
  imports: string[];
  /** Entry lines: the accessor functions. */
  functions: string[];
  /** Accessor id -> export name (the request's). */
  exports: Record<string, string>;
  /** dcm_meta additions: the `set` parameter's lifting, and the state records' lifts. */
  params: Record<string, LiftSpec[]>;
  records: Record<string, RecordLift>;
}

/** The name of the object appended to `file` (a valid identifier, unlikely to clash with the user's). */
export function stateObjectName(file: string): string {
  return `__dcm_state_${createHash("sha256").update(file).digest("hex").slice(0, 12)}`;
}

/** TsStateDetail, with the var's lifting when the analysis gives it (optional `T | undefined` parts). */
type Detail = TsStateDetail & { lift?: LiftSpec };

function detailOf(v: StateAccessorRequest["vars"][number], group: string): Detail {
  const d = v.detail as Detail | undefined;
  if (!d || typeof d.file !== "string" || typeof d.name !== "string" || typeof d.mode !== "string") {
    throw new Error(
      `state variable \`${v.key}\` of group \`${group}\` has no TypeScript state detail (a bug in languages/typescript/analysis)`,
    );
  }
  return d;
}

/**
 * The setter body for one variable; the restored value is in `V`. The
 * closures' own names start with `__dcm_` so that they never shadow the
 * variable they assign (a module variable named `v` or `k`).
 */
const V = "__dcm_v";
function setter(d: Detail): string {
  const x = d.name;
  switch (d.mode) {
    case "assign":
      return `${x} = ${V};`;
    case "array":
      return `${x}.length = 0; for (const __dcm_e of ${V}) ${x}.push(__dcm_e);`;
    case "map":
      return `${x}.clear(); for (const [__dcm_k, __dcm_e] of ${V}) ${x}.set(__dcm_k, __dcm_e);`;
    case "fields":
      return `for (const __dcm_k of Object.keys(${x})) delete ${x}[__dcm_k]; Object.assign(${x}, ${V});`;
    case "bytes":
      return (
        `if (${V}.length !== ${x}.length) throw new Error(${JSON.stringify(`dcm: cannot restore \`${x}\`: it is a const Uint8Array of `)} + ${x}.length + ` +
        `${JSON.stringify(" bytes and the state holds ")} + ${V}.length + ${JSON.stringify("; declare it with `let` to let its length change")}); ${x}.set(${V});`
      );
    default:
      throw new Error(`unknown state mode ${String((d as { mode: unknown }).mode)} for \`${x}\``);
  }
}

/** Everything the entry and the bundle need for the request's state groups (empty when there are none). */
export function renderStateAccessors(
  req: Pick<GenerateRequest, "stateGroups" | "analysis">,
  absPath: (file: string) => string,
): StateAccessorCode {
  const out: StateAccessorCode = { appends: {}, imports: [], functions: [], exports: {}, params: {}, records: {} };
  const groups = req.stateGroups ?? [];
  if (!groups.length) return out;
  // file -> var name -> detail, so that a var shared by two groups gets one getter/setter pair.
  const byFile = new Map<string, Map<string, Detail>>();
  for (const g of groups) {
    for (const v of g.vars) {
      const d = detailOf(v, g.group);
      const vars = byFile.get(d.file) ?? new Map<string, Detail>();
      vars.set(d.name, d);
      byFile.set(d.file, vars);
    }
  }
  const files = [...byFile.keys()].sort();
  const local = new Map<string, string>();
  files.forEach((file, i) => {
    const obj = stateObjectName(file);
    local.set(file, `st${i}`);
    out.imports.push(`import { ${obj} as st${i} } from ${JSON.stringify(absPath(file))};`);
    const members = [...byFile.get(file)!.values()]
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((d) => `  get_${d.name}: () => ${d.name},\n  set_${d.name}: (${V}) => { ${setter(d)} },`);
    out.appends[file] = [
      "",
      "// Appended by dcm: the state accessors' way to this module's variables (docs/state.md).",
      `export const ${obj} = {`,
      ...members,
      "};",
      "",
    ].join("\n");
  });
  for (const g of groups) {
    const rec = req.analysis.types[g.record];
    if (!rec || rec.fields.length !== g.vars.length) {
      throw new Error(
        `state record \`${g.record}\` of group \`${g.group}\` is missing or does not match its variables`,
      );
    }
    const reads: string[] = [];
    const writes: string[] = [];
    const undef: string[] = [];
    const nested: Record<string, LiftSpec> = {};
    g.vars.forEach((v, i) => {
      const d = detailOf(v, g.group);
      const st = local.get(d.file)!;
      const field = JSON.stringify(rec.fields[i]!.jsonName);
      reads.push(`    ${field}: ${st}.get_${d.name}(),`);
      writes.push(`  ${st}.set_${d.name}(state[${field}]);`);
      const lift = d.lift ?? 0;
      if (lift !== 0) {
        if (lift.u) undef.push(rec.fields[i]!.jsonName);
        const { u: _u, ...inner } = lift;
        if (Object.keys(inner).length) nested[rec.fields[i]!.jsonName] = inner;
      }
    });
    out.functions.push(
      `function ${g.get.export}() {`,
      "  return {",
      ...reads,
      "  };",
      "}",
      `function ${g.set.export}(state) {`,
      ...writes,
      "}",
    );
    out.exports[g.get.id] = g.get.export;
    out.exports[g.set.id] = g.set.export;
    out.params[g.get.export] = [];
    if (undef.length || Object.keys(nested).length) {
      out.records[g.record] = { undef, nested };
      out.params[g.set.export] = [{ rec: g.record }];
    } else {
      out.params[g.set.export] = [0];
    }
  }
  return out;
}
