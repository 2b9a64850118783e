/**
 * How value-model values look in JS (types only).
 *
 * bool -> boolean; int of 8..32 bits -> number; int of 64 bits -> bigint;
 * float -> number; string -> string; bytes -> Uint8Array; list and array ->
 * Array; map -> Map (keys in the value model's order, see docs/abi.md);
 * record -> plain object keyed by `jsonName`; optional -> value or null.
 */
export type JsValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | JsValue[]
  | Map<JsValue, JsValue>
  | { [field: string]: JsValue };
