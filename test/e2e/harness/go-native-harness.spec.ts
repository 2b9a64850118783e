import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { GoFragmentDetail, GoType } from "../../../languages/go/go-types.js";
import { canonicalEqual, parseInvokeCases, parseJsonWithSource, runGoNative } from "./go-native-harness.js";

const REPO = join(import.meta.dirname, "../../../examples/go-shop");
const MOD = "example.com/goshop";

const basic = (name: Extract<GoType, { k: "basic" }>["name"]): GoType => ({ k: "basic", name });
const named = (pkg: string, name: string): GoType => ({ k: "named", pkgPath: `${MOD}/${pkg}`, name });
const pkg = (name: string) => ({ pkgPath: `${MOD}/${name}`, pkgName: name, dir: name });
const param = (name: string, type: GoType, variadic = false) => ({ name, type, variadic });

// Built by hand (the Go analysis is written elsewhere); only pkg, funcName and receiver matter to the harness.
const DETAILS: Record<string, GoFragmentDetail> = {
  "1": {
    pkg: pkg("shared"),
    funcName: "GetHash",
    params: [param("s", basic("string"))],
    results: [basic("string")],
    hasError: false,
  },
  normalize: {
    pkg: pkg("shared"),
    funcName: "normalize",
    params: [param("s", basic("string"))],
    results: [basic("string")],
    hasError: false,
  },
  "count-runes": {
    pkg: pkg("shared"),
    funcName: "CountRunes",
    params: [param("s", basic("string"))],
    results: [basic("int"), basic("int")],
    hasError: false,
  },
  "xor-bytes": {
    pkg: pkg("shared"),
    funcName: "XorBytes",
    params: [param("data", { k: "slice", elem: basic("byte") }), param("key", basic("uint8"))],
    results: [{ k: "slice", elem: basic("byte") }],
    hasError: false,
  },
  "stable-id": {
    pkg: pkg("shared"),
    funcName: "StableID",
    params: [param("s", basic("string"))],
    results: [basic("string")],
    hasError: false,
  },
  "2": {
    pkg: pkg("employees"),
    funcName: "CreateEmployee",
    params: [
      param("firstName", basic("string")),
      param("lastName", basic("string")),
      param("email", basic("string")),
      param("age", basic("uint8")),
      param("address", named("employees", "Address")),
    ],
    results: [named("employees", "Employee")],
    hasError: false,
  },
  "full-name": {
    pkg: pkg("employees"),
    funcName: "FullName",
    receiver: { typeName: "Employee", pointer: false },
    params: [param("e", named("employees", "Employee"))],
    results: [basic("string")],
    hasError: false,
  },
  "manager-of": {
    pkg: pkg("employees"),
    funcName: "ManagerOf",
    params: [
      param("e", named("employees", "Employee")),
      param("staff", { k: "slice", elem: named("employees", "Employee") }),
    ],
    results: [{ k: "pointer", elem: named("employees", "Employee") }],
    hasError: false,
  },
  describe: {
    pkg: pkg("employees"),
    funcName: "Describe",
    params: [param("e", { k: "pointer", elem: named("employees", "Employee") })],
    results: [basic("string")],
    hasError: false,
  },
  "validate-email": {
    pkg: pkg("employees"),
    funcName: "ValidateEmail",
    params: [param("email", basic("string"))],
    results: [],
    hasError: true,
  },
  "assign-desks": {
    pkg: pkg("employees"),
    funcName: "AssignDesks",
    params: [param("names", { k: "slice", elem: basic("string") }), param("firstDesk", basic("int"))],
    results: [{ k: "map", key: basic("int"), value: basic("string") }],
    hasError: false,
  },
  discount32: {
    pkg: pkg("pricing"),
    funcName: "Discount32",
    params: [param("price", basic("float32")), param("pct", basic("float32"))],
    results: [basic("float32")],
    hasError: false,
  },
  "cents-format": {
    pkg: pkg("pricing"),
    funcName: "Format",
    receiver: { typeName: "Cents", pointer: false },
    params: [param("c", named("pricing", "Cents"))],
    results: [basic("string")],
    hasError: false,
  },
  "apply-discount": {
    pkg: pkg("pricing"),
    funcName: "ApplyDiscount",
    params: [param("price", named("pricing", "Cents")), param("percents", { k: "slice", elem: basic("int") }, true)],
    results: [named("pricing", "Cents")],
    hasError: false,
  },
  "cart-total": {
    pkg: pkg("pricing"),
    funcName: "CartTotal",
    params: [param("c", named("pricing", "Cart"))],
    results: [named("pricing", "Cents")],
    hasError: true,
  },
  "cart-add-item": {
    pkg: pkg("pricing"),
    funcName: "AddItem",
    receiver: { typeName: "Cart", pointer: true },
    params: [
      param("c", { k: "pointer", elem: named("pricing", "Cart") }),
      param("sku", basic("string")),
      param("qty", basic("uint16")),
      param("unitPrice", named("pricing", "Cents")),
    ],
    results: [basic("int")],
    hasError: false,
  },
  "4": {
    pkg: pkg("mathx"),
    funcName: "Fibonacci",
    params: [param("n", basic("int"))],
    results: [basic("uint64")],
    hasError: false,
  },
  "5": {
    pkg: pkg("mathx"),
    funcName: "NthPrime",
    params: [param("n", basic("int"))],
    results: [basic("int")],
    hasError: false,
  },
  "6": {
    pkg: pkg("mathx"),
    funcName: "Add",
    params: [param("a", basic("int")), param("b", basic("int"))],
    results: [basic("int")],
    hasError: false,
  },
  negate64: {
    pkg: pkg("mathx"),
    funcName: "Negate64",
    params: [param("x", basic("int64"))],
    results: [basic("int64")],
    hasError: false,
  },
  "saturating-add64": {
    pkg: pkg("mathx"),
    funcName: "SaturatingAdd64",
    params: [param("a", basic("uint64")), param("b", basic("uint64"))],
    results: [basic("uint64")],
    hasError: false,
  },
  reverse3: {
    pkg: pkg("mathx"),
    funcName: "Reverse3",
    params: [param("a", { k: "array", len: 3, elem: basic("int") })],
    results: [{ k: "array", len: 3, elem: basic("int") }],
    hasError: false,
  },
  at: {
    pkg: pkg("mathx"),
    funcName: "At",
    params: [param("xs", { k: "slice", elem: basic("int") }), param("i", basic("int"))],
    results: [basic("int")],
    hasError: false,
  },
  transpose: {
    pkg: pkg("mathx"),
    funcName: "Transpose",
    params: [param("m", { k: "slice", elem: { k: "slice", elem: basic("int") } })],
    results: [{ k: "slice", elem: { k: "slice", elem: basic("int") } }],
    hasError: false,
  },
  mean: {
    pkg: pkg("mathx"),
    funcName: "Mean",
    params: [param("xs", { k: "slice", elem: basic("float64") })],
    results: [basic("float64")],
    hasError: false,
  },
  scale: {
    pkg: pkg("mathx"),
    funcName: "Scale",
    params: [param("x", basic("float64")), param("f", basic("float64"))],
    results: [basic("float64")],
    hasError: false,
  },
};

const ADA = `{"id":"e1","firstName":"Ada","lastName":"Lovelace","email":"ada@example.com","age":36,"address":{"street":"","city":"London","zip":""},"tags":["math"],"managerId":"","Active":true}`;

/** Extra cases on top of invoke-cases.json, with independently known answers. */
const EXTRA: Record<string, Array<[args: string, expected: string]>> = {
  "1": [
    [`["abc"]`, `"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"`],
    [`[""]`, `"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"`],
  ],
  // Python: uuid.uuid5(uuid.NAMESPACE_URL, "http://python.org/")
  "stable-id": [[`["http://python.org/"]`, `"4c565f0d-3f5a-5890-b41b-20cf47701c5e"`]],
  normalize: [[`["  a \\t b\\n\\nc  "]`, `"a b c"`]],
  "count-runes": [[`["héllo👋"]`, `[6,10]`]],
  "xor-bytes": [[`["aGVsbG8=", 32]`, `"SEVMTE8="`]],
  "2": [
    [
      `["Ada","Lovelace","Ada@Example.com",36,{"street":"x","city":"London","zip":"N1"}]`,
      // id = first 12 hex digits of sha256("ada@example.com") (Python hashlib); PasswordHash (json:"-") and note (unexported) are absent
      `{"id":"b5fc85e55755","firstName":"Ada","lastName":"Lovelace","email":"Ada@Example.com","age":36,"address":{"street":"x","city":"London","zip":"N1"},"tags":["new"],"managerId":"","Active":true}`,
    ],
  ],
  "full-name": [[`[${ADA}]`, `"Ada Lovelace"`]],
  "manager-of": [
    [`[${ADA}, []]`, `null`],
    [`[{"id":"e2","managerId":"e1"}, [${ADA}]]`, ADA],
  ],
  describe: [
    [`[null]`, `"(nobody)"`],
    [`[${ADA}]`, `"Ada Lovelace <ada@example.com>, 36, London"`],
  ],
  "validate-email": [
    [`["a@b.c"]`, `null`],
    [
      `["ada@localhost"]`,
      `{"error":{"code":"DCM_FRAGMENT_ERROR","message":"email domain \\"localhost\\" has no dot"}}`,
    ],
  ],
  "assign-desks": [[`[["d","c","b","a"], 8]`, `{"8":"a","9":"b","10":"c","11":"d"}`]],
  discount32: [[`[100, 10]`, `90`]],
  "cents-format": [
    [`[-9223372036854775808]`, `"-€92233720368547758.08"`],
    [`[1234]`, `"€12.34"`],
  ],
  "apply-discount": [
    [`[10000]`, `10000`],
    [`[10000, 10, 5]`, `8550`],
  ],
  "cart-total": [
    [`[{"items":[{"sku":"a","qty":2,"unitPrice":1999}],"coupon":{"code":"X","percent":10}}]`, `3598`],
    [
      `[{"items":[{"sku":"a","qty":0,"unitPrice":1}],"coupon":null}]`,
      `{"error":{"code":"DCM_FRAGMENT_ERROR","message":"line 1 (a): quantity must be at least 1"}}`,
    ],
  ],
  "cart-add-item": [[`[{"items":[{"sku":"a","qty":1,"unitPrice":5}],"coupon":null}, "b", 1, 7]`, `2`]],
  "4": [
    [`[93]`, `12200160415121876738`],
    [`[10]`, `55`],
  ],
  "5": [
    [`[10000]`, `104729`],
    [`[1]`, `2`],
  ],
  "6": [[`[9223372036854775807, 1]`, `-9223372036854775808`]],
  negate64: [[`[-9223372036854775808]`, `-9223372036854775808`]],
  "saturating-add64": [
    [`[18446744073709551615, 1]`, `18446744073709551615`],
    [`[18446744073709551614, 1]`, `18446744073709551615`],
  ],
  reverse3: [[`[[1,2,3]]`, `[3,2,1]`]],
  at: [
    [`[[10,20,30], 2]`, `30`],
    [
      `[[10,20,30], 3]`,
      `{"error":{"code":"DCM_FRAGMENT_PANIC","message":"runtime error: index out of range [3] with length 3"}}`,
    ],
  ],
  transpose: [
    [`[[[1,2,3],[4,5,6]]]`, `[[1,4],[2,5],[3,6]]`],
    [`[[]]`, `[]`],
  ],
  mean: [
    [`[[]]`, `"NaN"`],
    [`[[1e308,1e308]]`, `"Infinity"`],
    [`[[1e-7]]`, `1e-7`],
  ],
  scale: [
    [`[0, -1]`, `-0`],
    [`[-1e308, 10]`, `"-Infinity"`],
  ],
};

describe("go native harness", () => {
  const fileCases = parseInvokeCases(readFileSync(join(REPO, "invoke-cases.json"), "utf8"));
  const cases: Record<string, string[]> = {};
  for (const id of Object.keys(DETAILS)) {
    cases[id] = [...(EXTRA[id] ?? []).map(([args]) => args), ...(fileCases[id] ?? [])];
  }
  let results: Record<string, string[]>;

  beforeAll(async () => {
    results = await runGoNative(
      REPO,
      Object.entries(DETAILS).map(([id, detail]) => ({ id, detail })),
      cases,
    );
  });

  it("returns one canonical line per case", () => {
    for (const [id, list] of Object.entries(cases)) {
      expect(results[id], id).toHaveLength(list.length);
      for (const line of results[id]!) expect(() => parseJsonWithSource(line), `${id}: ${line}`).not.toThrow();
    }
  });

  for (const [id, list] of Object.entries(EXTRA)) {
    it(`${id} gives the independently known values`, () => {
      list.forEach(([args, expected], i) => {
        const got = results[id]![i]!;
        expect(canonicalEqual(got, expected), `${id}(${args}) = ${got}, expected ${expected}`).toBe(true);
      });
    });
  }

  it("prints exact big integers, floats and maps in canonical form", () => {
    expect(results["4"]![0]).toBe("12200160415121876738");
    expect(results["6"]![0]).toBe("-9223372036854775808");
    expect(results.mean![2]).toBe("1e-07"); // Go's formatting; canonicalEqual treats it as 1e-7
    expect(results.scale![0]).toBe("-0");
    expect(results["assign-desks"]![0]).toBe(`{"8":"a","9":"b","10":"c","11":"d"}`);
    expect(results["count-runes"]![0]).toBe("[6,10]");
    expect(results["xor-bytes"]![0]).toBe(`"SEVMTE8="`);
    expect(results["validate-email"]![0]).toBe("null");
    // invoke-cases.json: the escapes survive as JSON
    expect(results["2"]![0]).not.toContain("PasswordHash");
  });

  it("covers every callable fragment of the CFD in invoke-cases.json", () => {
    const cfd = readFileSync(join(REPO, "dcm.yaml"), "utf8");
    const ids = [...cfd.matchAll(/^ {2}- id: ([\w-]+)/gm)].map((m) => m[1]!);
    const nonCallable = new Set(["employee-type", "tax-rate"]);
    expect(ids.length).toBeGreaterThanOrEqual(35);
    expect(ids.filter((id) => !nonCallable.has(id) && !fileCases[id])).toEqual([]);
    for (const list of Object.values(fileCases)) {
      expect(list.length).toBeGreaterThanOrEqual(1);
      expect(list.length).toBeLessThanOrEqual(4);
    }
  });
});

describe("canonicalEqual", () => {
  it("compares integers exactly and floats by value", () => {
    expect(canonicalEqual("18446744073709551615", "18446744073709551615")).toBe(true);
    expect(canonicalEqual("18446744073709551615", "18446744073709551616")).toBe(false);
    expect(canonicalEqual("1e-07", "1e-7")).toBe(true);
    expect(canonicalEqual("1e+21", "1e21")).toBe(true);
    expect(canonicalEqual("100000000000000000000", "1e+20")).toBe(true);
    expect(canonicalEqual("-0", "0")).toBe(false);
    expect(canonicalEqual("-0", "-0.0")).toBe(true);
    expect(canonicalEqual(`"NaN"`, `"NaN"`)).toBe(true);
    expect(canonicalEqual(`"NaN"`, `"Infinity"`)).toBe(false);
    expect(canonicalEqual("0.1", "0.10000000149011612")).toBe(false);
    expect(canonicalEqual("0.1", "0.10000000149011612", { float32: true })).toBe(true);
  });

  it("compares structures regardless of key order", () => {
    expect(canonicalEqual(`{"a":1,"b":[1,{"c":null}]}`, ` { "b" : [1, {"c": null}], "a": 1 } `)).toBe(true);
    expect(canonicalEqual(`{"a":1}`, `{"a":1,"b":2}`)).toBe(false);
    expect(canonicalEqual(`[1,2]`, `[2,1]`)).toBe(false);
    expect(canonicalEqual(`"\\u00e9"`, `"é"`)).toBe(true);
    expect(canonicalEqual(`true`, `1`)).toBe(false);
  });

  it("keeps the raw text of each case", () => {
    const c = parseInvokeCases(`{"x": [[18446744073709551615, "a"], [ ]]}`);
    expect(c).toEqual({ x: ['[18446744073709551615, "a"]', "[ ]"] });
  });
});
