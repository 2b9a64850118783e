/**
 * `dcm invoke <dist> --batch <cases.json> --on client|server [--target t] [--timeout s]`:
 * many calls in one process (a process per call costs ~0.4 s of Node start-up).
 * The file maps fragment ids (or names, as a single `dcm invoke` takes them)
 * to lists of argument arrays, `{ "<id>": [[arg, ...], ...], ... }`; numbers
 * keep their source text, so 64-bit integers are exact. Prints one line per
 * case, in file order, with exactly the text a single `dcm invoke` prints
 * for it: the canonical JSON value, or `{"error":{"code","message"}}`.
 * Whatever the fragments print goes to stderr (never a line of stdout).
 * Every case runs. Exits 0 when every case got its fragment's answer (a
 * value or the fragment's error); 1 when a case could not be run (an unknown
 * or not callable fragment, no module for the side, a timeout) or the file
 * or the dist cannot be read.
 */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { FragmentCallError } from "../../runtime/abi/call-error.js";
import { type JNode, JsonSyntaxError, parseJson } from "../../runtime/abi/json-parse.js";
import { errorJson, jsonNodeArgs, toCanonicalJson } from "../../runtime/abi/json-values.js";
import type { ModuleTarget, Side } from "../../runtime/abi/manifest-types.js";
import type { LoadDistOptions } from "../../runtime/node/load-dist.js";
import { openDist } from "../index.js";
import { noteStuckThreads } from "./hard-exit.js";

interface Io {
  out(s: string): void;
}

/** Codes that mean a case could not be run at all (the batch then exits 1); other errors are the fragment's answer. */
const NOT_RUN = new Set(["DCM_UNKNOWN_FRAGMENT", "DCM_NOT_CALLABLE", "DCM_NO_MODULE_FOR_SIDE", "DCM_CALL_TIMEOUT"]);

function codeOf(e: unknown): string | null {
  if (e instanceof FragmentCallError) return e.code;
  const c = (e as { code?: unknown } | null)?.code;
  return typeof c === "string" && c.startsWith("DCM_") ? c : null;
}

export async function invokeBatch(
  distDir: string,
  file: string,
  opts: { on: Side; target?: ModuleTarget; timeoutMs?: number },
  io: Io,
  distOpts: LoadDistOptions = {},
): Promise<number> {
  const text = await readFile(resolve(file), "utf8").catch((e: Error) => {
    io.out(errorJson("DCM_CLI_USAGE", `--batch ${file}: ${e.message}`) + "\n");
    return null;
  });
  if (text === null) return 1;
  let root: JNode;
  try {
    root = parseJson(text);
  } catch (e) {
    if (!(e instanceof JsonSyntaxError)) throw e;
    io.out(errorJson("DCM_CLI_USAGE", `--batch ${file}: ${e.message}`) + "\n");
    return 1;
  }
  if (root.k !== "obj" || root.entries.some(([, v]) => v.k !== "arr")) {
    io.out(errorJson("DCM_CLI_USAGE", `--batch ${file}: expected an object mapping fragment ids to arrays of argument arrays`) + "\n");
    return 1;
  }
  const dist = await openDist(resolve(distDir), distOpts).catch((e: Error & { code?: string }) => {
    io.out(errorJson(e.code ?? "DCM_MANIFEST_INVALID", e.message) + "\n");
    return null;
  });
  if (!dist) return 1;
  let failed = false;
  try {
    for (const [name, list] of root.entries) {
      for (const c of (list as Extract<JNode, { k: "arr" }>).items) {
        try {
          const f = dist.fragment(name);
          const sig = f.signature!;
          const value = await dist.call(f.id, jsonNodeArgs(c, sig, dist.manifest.types, f.id), opts);
          const type = sig.results.length === 1 ? sig.results[0]! : sig.results;
          io.out(toCanonicalJson(value, type, dist.manifest.types) + "\n");
        } catch (e) {
          const code = codeOf(e);
          if (!code) throw e;
          if (NOT_RUN.has(code)) failed = true;
          io.out(errorJson(code, (e as Error).message) + "\n");
        }
      }
    }
    return failed ? 1 : 0;
  } finally {
    await dist.close();
    noteStuckThreads(dist.stuck);
  }
}
