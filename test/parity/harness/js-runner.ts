/**
 * Runs functions of a JS module (TypeScript bundled by esbuild, or
 * AssemblyScript's `--bindings esm` glue) in a separate `node` process, so
 * that they run exactly as in plain Node and not through the test runner's
 * module system. Arguments and results cross as v8-serialised structured
 * clones (bigint, NaN, -0, Map and Uint8Array survive).
 */
import { spawn } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { deserialize, serialize } from "node:v8";

export interface JsCall {
  /** Export to call, or a class whose prototype method `method` is called with the first argument as `this`. */
  fn: string;
  method?: string;
  args: unknown[];
}

export type JsOutcome =
  | { ok: true; value: unknown }
  /** `plainError`: the thrown value's constructor is exactly `Error` (not RangeError, TypeError, …). */
  | { ok: false; name: string; plainError: boolean; message: string };

const RUNNER = `
import { readFileSync, writeFileSync } from "node:fs";
import { deserialize, serialize } from "node:v8";
import { pathToFileURL } from "node:url";
const [modulePath, inFile, outFile, fresh] = process.argv.slice(2);
const url = pathToFileURL(modulePath).href;
const calls = deserialize(readFileSync(inFile));
let generation = 0;
let mod = await import(url + "?instance=0");
const out = [];
for (const c of calls) {
  try {
    let value;
    if (c.method) {
      const [receiver, ...rest] = c.args;
      const self = Object.assign(new mod[c.fn](), receiver);
      value = self[c.method](...rest);
    } else {
      value = mod[c.fn](...c.args);
    }
    out.push({ ok: true, value });
  } catch (e) {
    out.push({ ok: false, name: e?.constructor?.name ?? typeof e, plainError: e?.constructor === Error, message: String(e?.message ?? e) });
    // A module that trapped may be left in a broken state: load a new instance, as dcm's host does.
    if (fresh === "fresh") mod = await import(url + "?instance=" + ++generation);
  }
}
writeFileSync(outFile, serialize(out));
`;

/** Calls every function in order in one process; `freshAfterThrow` re-imports the module after a throw. */
export async function runJsCalls(
  modulePath: string,
  calls: JsCall[],
  tmp: string,
  freshAfterThrow: boolean,
): Promise<JsOutcome[]> {
  const runner = join(tmp, "parity-runner.mjs");
  const inFile = join(tmp, "calls.bin");
  const outFile = join(tmp, "outcomes.bin");
  await writeFile(runner, RUNNER);
  await writeFile(inFile, serialize(calls));
  const res = await run(process.execPath, [runner, modulePath, inFile, outFile, freshAfterThrow ? "fresh" : ""], tmp);
  if (res.code !== 0) throw new Error(`parity: node ${runner} ${modulePath} exited with ${res.code}:\n${res.stderr}`);
  const out = deserialize(await readFile(outFile)) as JsOutcome[];
  if (out.length !== calls.length) throw new Error(`parity: ${out.length} outcomes for ${calls.length} calls`);
  return out;
}

export function run(
  cmd: string,
  args: string[],
  cwd: string,
  opts: { input?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: opts.env ?? process.env, stdio: ["pipe", "pipe", "pipe"] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on("data", (d: Buffer) => stdout.push(d));
    child.stderr.on("data", (d: Buffer) => stderr.push(d));
    child.on("error", reject);
    child.on("close", (code, signal) =>
      resolve({
        code: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(stdout).toString("utf8"),
        stderr: Buffer.concat(stderr).toString("utf8") + (signal ? `\n(killed by ${signal})` : ""),
      }),
    );
    child.stdin.on("error", () => {});
    child.stdin.end(opts.input ?? "");
  });
}
