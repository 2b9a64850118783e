/** Records shared by the codec specs: a nested record, a recursive one, and one with a map of bytes. */
import type { TypeTable } from "../../../runtime/abi/value-types.js";

export const types: TypeTable = {
  Address: {
    name: "Address",
    origin: "x.Address",
    fields: [
      { name: "Street", jsonName: "street", type: { kind: "string" } },
      { name: "Zip", jsonName: "Zip", type: { kind: "int", bits: 32, signed: true } },
    ],
  },
  Node: {
    name: "Node",
    origin: "x.Node",
    fields: [
      { name: "Value", jsonName: "value", type: { kind: "float", bits: 64 } },
      { name: "Next", jsonName: "next", type: { kind: "optional", inner: { kind: "record", name: "Node" } } },
    ],
  },
  Emp: {
    name: "Emp",
    origin: "x.Emp",
    fields: [
      { name: "Name", jsonName: "name", type: { kind: "string" } },
      { name: "Address", jsonName: "Address", type: { kind: "record", name: "Address" } },
      { name: "Tags", jsonName: "tags", type: { kind: "map", key: { kind: "string" }, value: { kind: "bytes" } } },
    ],
  },
};
