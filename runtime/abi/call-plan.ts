/**
 * What an instance needs per fragment, derived once from the manifest:
 * which export, which ABI, and the scalar conversions or the signature codec.
 * Shared by the WASM instance and the native plugin.
 */
import { FragmentCallError } from "./call-error.js";
import { type SigCodec, sigCodec } from "./codec.js";
import type { JsValue } from "./js-values.js";
import type { ManifestFragment } from "./manifest-types.js";
import { type FromScalar, fromScalar, type ToScalar, toScalar } from "./scalar-abi.js";
import { badArgument, DecodeError } from "./value-errors.js";
import type { TypeTable } from "./value-types.js";
import type { Reader } from "./wire-io.js";

export interface ScalarPlan {
  abi: "scalar";
  id: string;
  export: string;
  params: ToScalar[];
  names: string[];
  result: FromScalar | null;
}

export interface BufferPlan {
  abi: "buffer";
  id: string;
  export: string;
  codec: SigCodec;
}

export type CallPlan = ScalarPlan | BufferPlan;

export function planFragment(f: ManifestFragment, types: TypeTable): CallPlan | null {
  if (!f.signature || !f.export || !f.abi) return null;
  if (f.abi === "buffer") return { abi: "buffer", id: f.id, export: f.export, codec: sigCodec(f.signature, types) };
  return {
    abi: "scalar",
    id: f.id,
    export: f.export,
    params: f.signature.params.map((p) => toScalar(p.type)),
    names: f.signature.params.map((p) => p.name),
    result: f.signature.results[0] ? fromScalar(f.signature.results[0]) : null,
  };
}

/** Converts scalar arguments, throwing DCM_BAD_ARGUMENTS for the first one that does not fit. */
export function scalarArgs(plan: ScalarPlan, args: readonly unknown[]): Array<number | bigint> {
  const n = plan.params.length;
  if (args.length !== n) arityError(plan, args.length);
  const out = new Array<number | bigint>(n);
  let i = 0;
  try {
    for (; i < n; i++) out[i] = plan.params[i]!(args[i]);
  } catch (e) {
    badArgument(e, plan.names[i]!, plan.id);
  }
  return out;
}

export function arityError(plan: ScalarPlan, got: number): never {
  throw new FragmentCallError(
    "DCM_BAD_ARGUMENTS",
    `expected ${plan.params.length} argument(s) (${plan.names.join(", ")}), got ${got}`,
    plan.id,
  );
}

/** Reads a status-2 frame written after a scalar call panicked, and returns the error to throw. */
export function scalarPanic(r: Reader, id: string): FragmentCallError {
  try {
    const status = r.u8v();
    const message = r.str();
    const code = status === 1 ? "DCM_FRAGMENT_ERROR" : status === 3 ? "DCM_BAD_ARGUMENTS" : "DCM_FRAGMENT_PANIC";
    return new FragmentCallError(code, message, id);
  } catch (e) {
    if (e instanceof DecodeError)
      return new FragmentCallError("DCM_FRAGMENT_PANIC", `malformed panic frame: ${e.message}`, id);
    throw e;
  }
}

export function unknownFragment(id: string, known: Iterable<string>): FragmentCallError {
  return new FragmentCallError(
    "DCM_UNKNOWN_FRAGMENT",
    `this module has no fragment \`${id}\` (it has: ${[...known].join(", ")})`,
    id,
  );
}

/** DCM_NOT_CALLABLE with the manifest's reason (ManifestFragment.notCallable) when there is one. */
export function notCallable(id: string, reason?: string): FragmentCallError {
  return new FragmentCallError("DCM_NOT_CALLABLE", reason ?? `fragment \`${id}\` is not a function or method`, id);
}

export type CallFn = (args: readonly JsValue[]) => JsValue;
