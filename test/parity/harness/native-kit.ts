/**
 * Helpers for the languages' native runners (`languages/<id>/fixtures/parity-native.ts`):
 * running a JS module's functions in a plain `node` process, turning
 * canonical JSON into the JS values a language's own glue takes and back,
 * and putting a flat list of result lines back into per-fragment lists.
 */
import type { JsCall, JsOutcome } from "./js-runner.js";
import { runJsCalls } from "./js-runner.js";
import type { ParityNativeContext, Results } from "./parity-types.js";
import { argsFromJson, errorLine, resultToJson } from "./values.js";

export { ROOT } from "../../support/run-cli.js";
export { type JsCall, type JsOutcome, run, runJsCalls } from "./js-runner.js";
export type { ParityLanguage, ParityNativeContext, Results } from "./parity-types.js";
export { errorLine } from "./values.js";

/** The cases as one list of calls, in case order: what a batch runner takes. */
export function flatCalls(cases: Record<string, string[]>): Array<{ id: string; args: string }> {
  return Object.entries(cases).flatMap(([id, list]) => list.map((args) => ({ id, args })));
}

/** One result line per case of flatCalls(cases), back into per-fragment lists. */
export function regroup(cases: Record<string, string[]>, lines: string[]): Results {
  if (lines.length !== flatCalls(cases).length)
    throw new Error(`parity: ${lines.length} result lines for ${flatCalls(cases).length} cases`);
  const out: Results = {};
  let i = 0;
  for (const [id, list] of Object.entries(cases)) out[id] = list.map(() => lines[i++]!);
  return out;
}

export interface ViaJsOptions {
  /** The JS module whose exports are called. */
  modulePath: string;
  /** Scratch folder for the runner and its files. */
  tmp: string;
  /** Import the module afresh after a throw (a trapped WASM instance is not reused, as dcm's hosts do). */
  freshAfterThrow: boolean;
  /** The call for a case: which export, with which JS arguments. */
  callFor(id: string, name: string, args: unknown[]): JsCall;
  /** The function's JS result as the signature's value (default: as it is). */
  liftResult?(id: string, value: unknown): unknown;
  /** A thrown value as the error dcm's adapter reports for it. */
  errorCode(o: Extract<JsOutcome, { ok: false }>): { code: string; message: string };
}

/** Calls every case through a JS module in a plain `node` process and writes the results as canonical JSON. */
export async function viaJs(ctx: ParityNativeContext, o: ViaJsOptions): Promise<Results> {
  const calls: JsCall[] = [];
  const ids: string[] = [];
  for (const { id, args } of flatCalls(ctx.cases)) {
    calls.push(o.callFor(id, ctx.names[id]!, argsFromJson(args, ctx.signature(id).params)));
    ids.push(id);
  }
  const outcomes = await runJsCalls(o.modulePath, calls, o.tmp, o.freshAfterThrow);
  const lines = outcomes.map((out, i) => {
    if (!out.ok) {
      const e = o.errorCode(out);
      return errorLine(e.code, e.message);
    }
    const id = ids[i]!;
    return resultToJson(o.liftResult ? o.liftResult(id, out.value) : out.value, ctx.signature(id).results);
  });
  return regroup(ctx.cases, lines);
}
