/**
 * The conformance vectors: what a host of dcm modules (hosts/python,
 * hosts/go, any new one) checks itself against. Built from the parity suite
 * (test/parity): its repositories of Go, Rust and AssemblyScript built by
 * `dcm build` into `<dir>/dists/<lang>/`, and `<dir>/vectors.json` with
 *
 * - `calls`: every parity case, its arguments and the expected result as
 *   canonical JSON **text** (docs/values-json.md; text, so that 64-bit
 *   integers stay exact in any parser), the expected result being the
 *   function run natively by the language's own toolchain (never dcm's
 *   output); failures `{"error":{"code","message"}}`, compared by code;
 * - `encodings`: for the buffer-ABI fragments, each call's encoded argument
 *   buffer (hex), from runtime/abi's encoder;
 * - `malformed`: argument bytes every decoder refuses (malformed-inputs.ts).
 *
 * TypeScript is left out: its modules are JavaScript (Node and browsers only).
 *
 *   npx tsx test/conformance/write-vectors.ts <dir>
 *
 * Tests call ensureVectors(): one generation per input state (a hash of the
 * parity sources, the cases and the module code), shared by test files that
 * run at the same time (written aside, renamed into place).
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseJsonArgs } from "../../runtime/abi/json-values.js";
import { encodeArgs } from "../../runtime/abi/codec.js";
import type { Manifest } from "../../runtime/abi/manifest-types.js";
import { casesFor, isFloat32 } from "../parity/harness/cases.js";
import { parityLanguage } from "../parity/harness/languages.js";
import { nativeResults } from "../parity/harness/natives.js";
import { ROOT, runCli } from "../support/run-cli.js";
import { MALFORMED_INPUTS } from "./malformed-inputs.js";

export const VECTOR_LANGUAGES = ["go", "rust", "assemblyscript"] as const;

export interface VectorCall {
  lang: string;
  fragment: string;
  /** The case's index in test/parity/cases.json. */
  case: number;
  args: string;
  expect: string;
  float32: boolean;
}

export interface Vectors {
  abi: 1;
  languages: string[];
  calls: VectorCall[];
  encodings: Array<{ lang: string; fragment: string; case: number; hex: string }>;
  malformed: Array<{ lang: string; fragment: string; hex: string; expect: string; why: string }>;
}

/** Builds the dists and writes vectors.json into `dir` (made if missing; must not hold other files). */
export async function writeVectors(dir: string): Promise<Vectors> {
  await mkdir(join(dir, "dists"), { recursive: true });
  const vectors: Vectors = { abi: 1, languages: [...VECTOR_LANGUAGES], calls: [], encodings: [], malformed: [] };
  for (const lang of VECTOR_LANGUAGES) {
    const { repo } = parityLanguage(lang);
    const dist = join(dir, "dists", lang);
    const build = await runCli(["build", repo, "--cfd", join(repo, "dcm.yaml"), "--out", dist, "--json"]);
    if (build.code !== 0) throw new Error(`conformance: dcm build ${repo} failed:\n${build.stdout}${build.stderr}`);
    const manifest = JSON.parse(await readFile(join(dist, "manifest.json"), "utf8")) as Manifest;
    const native = await nativeResults(lang);
    for (const [fragment, list] of Object.entries(casesFor(lang))) {
      const entry = manifest.fragments.find((f) => f.id === fragment);
      if (!entry?.signature) throw new Error(`conformance: ${lang} has no callable fragment \`${fragment}\``);
      list.forEach((c, k) => {
        vectors.calls.push({ lang, fragment, case: c.index, args: c.args, expect: native[fragment]![k]!, float32: isFloat32(fragment) });
        if (entry.abi !== "buffer") return;
        const values = parseJsonArgs(c.args, entry.signature!, manifest.types, fragment);
        const hex = Buffer.from(encodeArgs(entry.signature!, manifest.types, values, fragment)).toString("hex");
        vectors.encodings.push({ lang, fragment, case: c.index, hex });
      });
    }
    for (const m of MALFORMED_INPUTS) vectors.malformed.push({ lang, ...m });
  }
  await writeFile(join(dir, "vectors.json"), `${JSON.stringify(vectors, null, 1)}\n`);
  return vectors;
}

/** Files whose change changes the vectors. */
const INPUTS = ["test/parity/cases.json", "test/conformance", "runtime/abi", "languages", "src/build"];

async function inputsHash(): Promise<string> {
  const h = createHash("sha256");
  const walk = async (p: string): Promise<void> => {
    const st = await stat(p);
    if (st.isDirectory()) {
      for (const name of (await readdir(p)).sort()) if (name !== "node_modules" && name !== "target") await walk(join(p, name));
    } else if (st.isFile()) h.update(`${p}\0`).update(await readFile(p));
  };
  for (const i of INPUTS) await walk(join(ROOT, i));
  return h.digest("hex").slice(0, 16);
}

/** The vectors of the current sources in a temp folder, generated once and shared. Returns the folder. */
export async function ensureVectors(): Promise<string> {
  const dir = join(tmpdir(), `dcm-conformance-${await inputsHash()}`);
  if (existsSync(join(dir, "vectors.json"))) return dir;
  const aside = `${dir}.tmp-${process.pid}-${Date.now().toString(36)}`;
  try {
    await writeVectors(aside);
    await rename(aside, dir);
  } catch (e) {
    // Another test file finished first: its vectors are the same.
    if (!existsSync(join(dir, "vectors.json"))) throw e;
  } finally {
    await rm(aside, { recursive: true, force: true });
  }
  return dir;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(ROOT, "test/conformance/write-vectors.ts")) {
  const out = process.argv[2];
  if (!out) {
    process.stderr.write("usage: npx tsx test/conformance/write-vectors.ts <dir>\n");
    process.exitCode = 2;
  } else {
    const v = await writeVectors(resolve(out));
    process.stdout.write(`${v.calls.length} calls, ${v.encodings.length} encodings, ${v.malformed.length} malformed inputs in ${resolve(out)}/vectors.json\n`);
  }
}
