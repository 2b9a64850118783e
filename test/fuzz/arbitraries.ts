/** Value-model types and a type table for the fuzz properties (shared by the specs of test/fuzz). */
import fc from "fast-check";
import type { TypeTable, VType } from "../../runtime/abi/value-types.js";

/** Records the type generator may use: a recursive one, an empty one (zero bytes on the wire), one with a list of itself. */
export const TYPES: TypeTable = {
  Node: {
    name: "Node",
    origin: "fuzz.Node",
    fields: [
      { name: "V", jsonName: "v", type: { kind: "int", bits: 32, signed: true } },
      { name: "Next", jsonName: "next", type: { kind: "optional", inner: { kind: "record", name: "Node" } } },
    ],
  },
  Empty: { name: "Empty", origin: "fuzz.Empty", fields: [] },
  Tree: {
    name: "Tree",
    origin: "fuzz.Tree",
    fields: [
      { name: "Name", jsonName: "name", type: { kind: "string" } },
      { name: "Kids", jsonName: "kids", type: { kind: "list", elem: { kind: "record", name: "Tree" } } },
    ],
  },
};

const scalar: fc.Arbitrary<VType> = fc.oneof(
  fc.constant<VType>({ kind: "bool" }),
  fc.record({
    kind: fc.constant("int" as const),
    bits: fc.constantFrom(8 as const, 16 as const, 32 as const, 64 as const),
    signed: fc.boolean(),
  }),
  fc.record({ kind: fc.constant("float" as const), bits: fc.constantFrom(32 as const, 64 as const) }),
  fc.constant<VType>({ kind: "string" }),
  fc.constant<VType>({ kind: "bytes" }),
  fc.constantFrom<VType>(...Object.keys(TYPES).map((name) => ({ kind: "record" as const, name }))),
);

export const vtype: fc.Arbitrary<VType> = fc.letrec<{ t: VType }>((tie) => ({
  t: fc.oneof(
    { maxDepth: 3, depthIdentifier: "vtype" },
    scalar,
    fc.record({ kind: fc.constant("list" as const), elem: tie("t") }),
    fc.record({ kind: fc.constant("array" as const), elem: tie("t"), length: fc.integer({ min: 0, max: 4 }) }),
    fc.record({
      kind: fc.constant("map" as const),
      key: fc.constantFrom<VType>({ kind: "string" }, { kind: "int", bits: 32, signed: true }),
      value: tie("t"),
    }),
    fc.record({ kind: fc.constant("optional" as const), inner: tie("t") }),
  ),
})).t;
