/**
 * Checks a dist's manifest.json against docs/manifest.schema.json, plus the
 * cross-references a JSON Schema cannot state (docs/abi.md, "manifest.json"):
 * every `record` type names an entry of `types`, every module's fragment ids
 * are fragments of the manifest, and a module's language is its fragments'.
 * runCli() calls it after every successful `dcm build`, so every dist the
 * tests build through the CLI is checked.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Ajv2020 from "ajv/dist/2020.js";

// From test/support/ under ts (vitest) or from build/test/support/ once compiled (write-vectors.js).
const SCHEMA_FILE = ["../../docs/manifest.schema.json", "../../../docs/manifest.schema.json"]
  .map((rel) => fileURLToPath(new URL(rel, import.meta.url)))
  .find((f) => existsSync(f))!;

type Json = Record<string, unknown>;
let validate: ((m: unknown) => boolean) & { errors?: unknown } = undefined as never;

function schemaValidator() {
  if (!validate) {
    const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, strictTypes: false });
    validate = ajv.compile(JSON.parse(readFileSync(SCHEMA_FILE, "utf8")));
  }
  return validate;
}

/** The problems of one manifest (empty: valid). */
export function manifestProblems(manifest: unknown): string[] {
  const v = schemaValidator();
  if (!v(manifest)) {
    return ((v.errors ?? []) as { instancePath: string; message?: string; params: unknown }[]).map(
      (e) => `${e.instancePath || "/"}: ${e.message} ${JSON.stringify(e.params)}`,
    );
  }
  const m = manifest as { fragments: Json[]; modules: Json[]; types: Record<string, Json> };
  const problems: string[] = [];
  const walk = (t: Json, where: string): void => {
    if (t.kind === "record" && !(String(t.name) in m.types))
      problems.push(`${where}: record ${t.name} is not in types`);
    for (const k of ["elem", "key", "value", "inner"]) if (t[k]) walk(t[k] as Json, where);
  };
  for (const [name, def] of Object.entries(m.types)) {
    if (def.name !== name) problems.push(`/types/${name}: its name is ${def.name}`);
    (def.fields as Json[]).forEach((f, i) => {
      walk(f.type as Json, `/types/${name}/fields/${i}`);
    });
  }
  const language = new Map(m.fragments.map((f) => [f.id as string, f.language as string]));
  if (language.size !== m.fragments.length) problems.push("/fragments: duplicate ids");
  m.fragments.forEach((f, i) => {
    const sig = f.signature as { params: Json[]; results: Json[] } | undefined;
    sig?.params.forEach((p, j) => {
      walk(p.type as Json, `/fragments/${i}/signature/params/${j}`);
    });
    sig?.results.forEach((r, j) => {
      walk(r, `/fragments/${i}/signature/results/${j}`);
    });
    if (sig && sig.params.some((p, j) => p.receiver && j !== 0))
      problems.push(`/fragments/${i}: a receiver that is not the first parameter`);
  });
  m.modules.forEach((mod, i) => {
    for (const id of mod.fragments as string[]) {
      if (!language.has(id)) problems.push(`/modules/${i}: fragment ${id} is not in the manifest`);
      else if (language.get(id) !== mod.language) problems.push(`/modules/${i}: fragment ${id} is ${language.get(id)}`);
    }
  });
  return problems;
}

/** Throws, naming every problem, when `<dir>/manifest.json` does not follow docs/manifest.schema.json. */
export function checkDistManifest(dir: string): void {
  const file = join(dir, "manifest.json");
  const problems = manifestProblems(JSON.parse(readFileSync(file, "utf8")));
  if (problems.length > 0) {
    throw new Error(`${file} does not follow docs/manifest.schema.json:\n  ${problems.join("\n  ")}`);
  }
}
