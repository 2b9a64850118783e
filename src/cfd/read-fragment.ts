/** Reading one fragment (and the `defaults` helpers it shares): every key checked, every problem reported. */
import { isMap, isScalar, isSeq, type Node, type Pair, type YAMLMap } from "yaml";
import type { FragmentKind, Side } from "../../runtime/abi/manifest-types.js";
import { didYouMean, nearest } from "../core/did-you-mean.js";
import type { SourcePos } from "../../runtime/diagnostics/diagnostic-types.js";
import type { Cfd, CfdFragment } from "./cfd-types.js";
import { parseLib } from "./libs.js";
import {
  type Ctx,
  type Draft,
  deref,
  describe,
  err,
  keyName,
  nodePos,
  type Positions,
  valuePos,
} from "./cfd-yaml-context.js";

export const ROOT_KEYS = ["fragments", "defaults"] as const;
export const DEFAULTS_KEYS = ["runOn", "language"] as const;
export const FRAGMENT_KEYS = [
  "id",
  "name",
  "runOn",
  "location",
  "libs",
  "dependsOn",
  "globalVar",
  "typeDef",
  "language",
  "kind",
  "idempotent",
  "stateful",
  "group",
] as const;
export const LOCATION_KEYS = ["filepath", "start", "end"] as const;
const SIDES: Side[] = ["client", "server"];
const KINDS: FragmentKind[] = ["function", "method", "variable", "const", "type"];

export function readFragment(ctx: Ctx, node: YAMLMap, defaults: Cfd["defaults"]): Draft {
  const firstDiag = ctx.diags.length;
  const positions: Positions = { fragment: nodePos(ctx, node) };
  const frag: Draft["frag"] = { positions };
  const draft: Draft = { node, idIsInt: false, frag };
  const present = new Set<string>();
  const misspelt = new Set<string>();

  for (const pair of node.items) {
    const key = keyName(pair);
    if (!(FRAGMENT_KEYS as readonly string[]).includes(key)) {
      unknownKey(ctx, pair, key, FRAGMENT_KEYS, "in a fragment", misspelt);
      continue;
    }
    present.add(key);
    positions[key] = valuePos(ctx, pair);
    const value = deref(ctx, pair.value);
    switch (key) {
      case "id": {
        if (isScalar(value) && typeof value.value === "number" && Number.isInteger(value.value) && value.value >= 0) {
          draft.id = String(value.value);
          draft.idIsInt = true;
        } else if (isScalar(value) && typeof value.value === "string" && value.value.trim() !== "") {
          draft.id = value.value;
        } else {
          err(
            ctx,
            "DCM_CFD_INVALID_VALUE",
            `\`id\` must be a non-negative integer or a non-empty string, not ${describe(value)}`,
            positions.id!,
          );
        }
        break;
      }
      case "name":
      case "language": {
        const s = readString(ctx, pair, key);
        if (s !== undefined) frag[key] = s;
        break;
      }
      case "runOn": {
        const side = readRunOn(ctx, pair, "runOn");
        if (side) frag.runOn = side;
        break;
      }
      case "location":
        readLocation(ctx, pair, frag);
        break;
      case "libs": {
        const list = readList(ctx, pair, key, positions, false);
        if (list) frag.libs = checkLibs(ctx, list, positions);
        break;
      }
      case "globalVar":
      case "typeDef": {
        // The paper's flag (`typeDef: true`: this fragment is a type) or dcm's list (the types it uses).
        if (isScalar(value) && typeof value.value === "boolean") {
          frag[key === "globalVar" ? "globalVarFlag" : "typeDefFlag"] = value.value;
          break;
        }
        const list = readList(ctx, pair, key, positions, false, flagHint(key));
        if (list) frag[key] = list;
        break;
      }
      case "dependsOn": {
        const list = readList(ctx, pair, key, positions, true);
        if (list) frag.dependsOn = list;
        break;
      }
      case "kind": {
        const s = isScalar(value) ? String(value.value) : "";
        if ((KINDS as string[]).includes(s)) frag.kind = s as FragmentKind;
        else {
          const hint = didYouMean(s, KINDS) ?? `use one of ${KINDS.map((k) => `\`${k}\``).join(", ")}`;
          err(
            ctx,
            "DCM_CFD_INVALID_VALUE",
            `\`kind\` is ${describe(value)}; it must be one of ${KINDS.join(", ")}`,
            positions.kind!,
            hint,
          );
        }
        break;
      }
      case "group": {
        // A name, not a list: fragments with the same name move together (docs/state.md).
        const name =
          isScalar(value) && (typeof value.value === "string" || typeof value.value === "number")
            ? String(value.value).trim()
            : "";
        if (/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(name)) frag.group = name;
        else
          err(
            ctx,
            "DCM_CFD_INVALID_VALUE",
            `\`group\` is ${describe(value)}; it must be a name of letters, digits, \`_\`, \`-\` and \`.\``,
            positions.group!,
            "write e.g. `group: cart`; every fragment with the same group name moves together",
          );
        break;
      }
      case "idempotent":
      case "stateful": {
        if (isScalar(value) && typeof value.value === "boolean") frag[key] = value.value;
        else
          err(
            ctx,
            "DCM_CFD_INVALID_VALUE",
            `\`${key}\` must be \`true\` or \`false\`, not ${describe(value)}`,
            positions[key]!,
            `write \`${key}: true\` or \`${key}: false\``,
          );
        break;
      }
    }
  }

  if (draft.id !== undefined) {
    frag.id = draft.id;
    // The id may come after the keys that failed; tag their diagnostics now that it is known.
    for (const d of ctx.diags.slice(firstDiag)) d.fragment ??= draft.id;
  }
  const label = draft.id !== undefined ? `fragment ${draft.id}` : "this fragment";
  const missing = (key: string, message: string, suggestion: string) => {
    if (!misspelt.has(key)) err(ctx, "DCM_CFD_MISSING_KEY", message, positions.fragment, suggestion, draft.id);
  };
  if (!present.has("id")) missing("id", "a fragment has no `id`", "add `id: <number or name>` to the fragment");
  if (!present.has("name")) {
    if (draft.id !== undefined && !draft.idIsInt) frag.name = draft.id;
    else if (draft.id !== undefined) {
      missing(
        "name",
        `${label} has an integer id and no \`name\``,
        "add `name: <symbol>` (the function, method, variable or type in the source)",
      );
    }
    // No usable id: its own diagnostic covers this, and a string id would also supply the name.
  }
  // No runOn (and no default): a dependency, compiled in for other fragments but not an entry point.
  if (!present.has("runOn") && defaults?.runOn) frag.runOn = defaults.runOn;
  if (frag.globalVarFlag && frag.typeDefFlag) {
    err(
      ctx,
      "DCM_CFD_INVALID_VALUE",
      `${label} has both \`globalVar: true\` and \`typeDef: true\`; a fragment is either a variable or a type`,
      positions.typeDef!,
      "keep the flag that says what the symbol is and remove the other",
      draft.id,
    );
  }
  if (!present.has("location"))
    missing("location", `${label} has no \`location\``, "add `location: { filepath: <path of the source file> }`");
  if (!present.has("language") && defaults?.language) frag.language = defaults.language;
  return draft;
}

function readLocation(ctx: Ctx, pair: Pair, frag: Draft["frag"]): void {
  const node = deref(ctx, pair.value);
  const positions = frag.positions;
  if (!isMap(node)) {
    const hint =
      isScalar(node) && typeof node.value === "string"
        ? `write \`location: { filepath: ${node.value} }\``
        : "write `location: { filepath: <path>, start: <line>, end: <line> }`";
    err(
      ctx,
      "DCM_CFD_INVALID_VALUE",
      `\`location\` must be a mapping with \`filepath\`, not ${describe(node)}`,
      positions.location!,
      hint,
    );
    return;
  }
  const loc: Partial<CfdFragment["location"]> = {};
  const misspelt = new Set<string>();
  const nums: Partial<Record<"start" | "end", SourcePos>> = {};
  for (const p of node.items) {
    const key = keyName(p);
    if (!(LOCATION_KEYS as readonly string[]).includes(key)) {
      unknownKey(ctx, p, key, LOCATION_KEYS, "in `location`", misspelt);
      continue;
    }
    const where = valuePos(ctx, p);
    positions[`location.${key}`] = where;
    const value = deref(ctx, p.value);
    if (key === "filepath") {
      const s = readString(ctx, p, "location.filepath");
      if (s !== undefined) loc.filepath = s;
    } else if (
      isScalar(value) &&
      typeof value.value === "number" &&
      Number.isInteger(value.value) &&
      value.value >= 1
    ) {
      loc[key as "start" | "end"] = value.value;
      nums[key as "start" | "end"] = where;
    } else {
      err(
        ctx,
        "DCM_CFD_INVALID_VALUE",
        `\`location.${key}\` must be a positive line number, not ${describe(value)}`,
        where,
      );
    }
  }
  if (loc.start !== undefined && loc.end !== undefined && loc.start > loc.end) {
    err(
      ctx,
      "DCM_CFD_INVALID_VALUE",
      `\`location.start\` (${loc.start}) is after \`location.end\` (${loc.end})`,
      nums.start!,
      "swap them, or give the first and last line of the symbol",
    );
  }
  const hasFilepath = node.items.some((p) => keyName(p) === "filepath");
  if (!hasFilepath && !misspelt.has("filepath")) {
    err(
      ctx,
      "DCM_CFD_MISSING_KEY",
      "`location` has no `filepath`",
      positions.location!,
      "add `filepath: <path of the source file>` to `location`",
    );
  }
  if (loc.filepath !== undefined) frag.location = loc as CfdFragment["location"];
}

/** The two forms of `globalVar`/`typeDef`, for the message when neither was written. */
function flagHint(key: string): { what: string; hint: string } {
  const is = key === "globalVar" ? "a package-level variable or constant" : "a type declaration";
  const uses = key === "globalVar" ? "the variables it uses" : "the types it uses";
  return {
    what: `\`true\` (the fragment is ${is}) or a list of ${uses}`,
    hint: `write \`${key}: true\` if the fragment is ${is}, or \`${key}: [a, b]\` to list ${uses}`,
  };
}

/** `libs` entries are `path` or `alias path`; anything else is refused where it stands. */
function checkLibs(ctx: Ctx, list: string[], positions: Positions): string[] {
  list.forEach((entry, i) => {
    if (parseLib(entry)) return;
    err(
      ctx,
      "DCM_CFD_INVALID_VALUE",
      `\`libs\` entry ${i + 1} (\`${entry}\`) must be an import path, or an alias and an import path (\`mathematics math\`)`,
      positions[`libs.${i}`] ?? positions.libs!,
      "write one import per entry: `libs: [fmt, mathematics math]`",
    );
  });
  return list;
}

/** A list of strings; for dependsOn, integers are accepted too and become strings. */
function readList(
  ctx: Ctx,
  pair: Pair,
  key: string,
  positions: Positions,
  allowInts: boolean,
  alternative?: { what: string; hint: string },
): string[] | undefined {
  const node = deref(ctx, pair.value);
  // `libs:` with nothing after it reads naturally as "none".
  if (node === null || (isScalar(node) && node.value === null)) return undefined;
  const what = allowInts ? "a list of fragment ids" : (alternative?.what ?? "a list of strings");
  if (!isSeq(node)) {
    const hint =
      alternative?.hint ?? (isScalar(node) ? `write \`${key}: [${String(node.value)}]\`` : `write \`${key}: [a, b]\``);
    err(ctx, "DCM_CFD_INVALID_VALUE", `\`${key}\` must be ${what}, not ${describe(node)}`, positions[key]!, hint);
    return undefined;
  }
  const out: string[] = [];
  node.items.forEach((raw, i) => {
    const item = deref(ctx, raw as Node);
    const where = nodePos(ctx, item ?? node);
    positions[`${key}.${i}`] = where;
    const v = isScalar(item) ? item.value : undefined;
    if (typeof v === "string" && v.trim() !== "") out.push(v);
    else if (allowInts && typeof v === "number" && Number.isInteger(v) && v >= 0) out.push(String(v));
    else
      err(
        ctx,
        "DCM_CFD_INVALID_VALUE",
        `\`${key}\` entry ${i + 1} must be ${allowInts ? "a fragment id" : "a string"}, not ${describe(item)}`,
        where,
      );
  });
  return out;
}

export function readString(ctx: Ctx, pair: Pair, label: string): string | undefined {
  const node = deref(ctx, pair.value);
  if (isScalar(node) && typeof node.value === "string" && node.value.trim() !== "") return node.value;
  err(
    ctx,
    "DCM_CFD_INVALID_VALUE",
    `\`${label}\` must be a non-empty string, not ${describe(node)}`,
    valuePos(ctx, pair),
  );
  return undefined;
}

export function readRunOn(ctx: Ctx, pair: Pair, label: string): Side | undefined {
  const node = deref(ctx, pair.value);
  const v = isScalar(node) ? node.value : undefined;
  if (v === "client" || v === "server") return v;
  const hint =
    (typeof v === "string" && didYouMean(v, SIDES)) ||
    `write \`${label.split(".").pop()}: client\` or \`${label.split(".").pop()}: server\``;
  err(
    ctx,
    "DCM_CFD_INVALID_RUNON",
    `\`${label}\` is ${describe(node)}; it must be \`client\` or \`server\``,
    valuePos(ctx, pair),
    hint,
  );
  return undefined;
}

export function unknownKey(
  ctx: Ctx,
  pair: Pair,
  key: string,
  known: readonly string[],
  where: string,
  misspelt: Set<string>,
): void {
  const close = nearest(key, known, 1)[0];
  if (close) misspelt.add(close);
  const suggestion = didYouMean(key, known) ?? `known keys ${where}: ${known.join(", ")}`;
  err(ctx, "DCM_CFD_UNKNOWN_KEY", `unknown key \`${key}\` ${where}`, nodePos(ctx, pair.key as Node), suggestion);
}
