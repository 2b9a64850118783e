/**
 * Shared by the build service's e2e specs: a real service on loopback (the
 * in-process one, or `dcm serve` as a process), archives packed the way users
 * pack them (node-tar, yazl), and an HTTP client for its routes (fetch,
 * FormData, a plain SSE reader).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import * as tar from "tar";
import yazl from "yazl";
import { createBuildService, embeddedBackends, type BuildService } from "../../src/service/create-build-service.js";
import type { BuildEvent, BuildRecord } from "../../src/service/service-types.js";
import { DCM_BIN } from "../support/run-cli.js";
import { manifestProblems } from "../support/manifest-schema-check.js";

export const KEY_A = "service-test-key-a-0123456789";
export const KEY_B = "service-test-key-b-0123456789";

export interface TestService {
  service: BuildService;
  url: string;
  storeDir: string;
  close(): Promise<void>;
}

export async function startService(
  storeDir: string,
  opts: { concurrency?: number; buildTimeoutMs?: number; uploadLimitBytes?: number; rateLimit?: { max: number; timeWindowMs: number } } = {},
): Promise<TestService> {
  const backends = await embeddedBackends({
    storeDir,
    concurrency: opts.concurrency ?? 2,
    ...(opts.buildTimeoutMs ? { buildTimeoutMs: opts.buildTimeoutMs, graceMs: 2000 } : {}),
  });
  const service = await createBuildService({
    store: backends.store,
    state: backends.state,
    queue: backends.queue,
    apiKeys: [KEY_A, KEY_B],
    heartbeatMs: 1000,
    ...(opts.uploadLimitBytes ? { uploadLimitBytes: opts.uploadLimitBytes } : {}),
    ...(opts.rateLimit ? { rateLimit: opts.rateLimit } : {}),
  });
  const url = await service.listen(0, "127.0.0.1");
  return { service, url, storeDir, close: () => service.close() };
}

/** `dcm serve` as its own process (for kill and restart); resolves with its URL once it listens. */
export function startServeProcess(storeDir: string, port: number, env: NodeJS.ProcessEnv = {}): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [DCM_BIN, "serve", "--port", String(port), "--store", storeDir, "--concurrency", "1"], {
      env: { ...process.env, DCM_API_KEYS: `${KEY_A},${KEY_B}`, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout!.on("data", (b: Buffer) => {
      out += b.toString();
      const m = /build service at (http:\/\/[^/\s]+)/.exec(out);
      if (m) resolve({ child, url: m[1]! });
    });
    child.stderr!.on("data", (b: Buffer) => (err += b.toString()));
    child.on("exit", (code) => reject(new Error(`dcm serve exited with ${code} before listening: ${err}`)));
  });
}

/** Every file of a folder (relative `/` paths), skipping what dcm submit would skip. */
export async function readTree(dir: string, prefix = ""): Promise<Record<string, Buffer>> {
  const out: Record<string, Buffer> = {};
  for (const e of await readdir(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (["dist", "node_modules", "target", ".git"].includes(e.name)) continue;
    if (e.isDirectory()) Object.assign(out, await readTree(dir, rel));
    else if (e.isFile()) out[rel] = await readFile(join(dir, rel));
  }
  return out;
}

/** A .tar.gz of a folder, packed by node-tar as `tar czf x.tgz -C dir .` would. */
export async function packTarGz(dir: string): Promise<Buffer> {
  const files = Object.keys(await readTree(dir));
  const chunks: Buffer[] = [];
  const stream = tar.create({ gzip: true, cwd: dir, portable: true }, files);
  for await (const c of stream as AsyncIterable<Buffer>) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

/** A .zip of files (yazl, as a zip tool would write them). */
export async function packZip(files: Record<string, Buffer | string>): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const [name, data] of Object.entries(files)) zip.addBuffer(Buffer.from(data), name, { mode: 0o100644 });
  zip.end();
  const chunks: Buffer[] = [];
  for await (const c of zip.outputStream as AsyncIterable<Buffer>) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

export const auth = (key: string) => ({ authorization: `Bearer ${key}` });

export async function submit(
  url: string,
  key: string,
  archive: Buffer,
  o: { cfd?: string; cfdPath?: string; name?: string } = {},
): Promise<Response> {
  const form = new FormData();
  form.append("repo", new Blob([archive]), o.name ?? "repo.tar.gz");
  if (o.cfd !== undefined) form.append("cfd", new Blob([o.cfd]), "dcm.yaml");
  if (o.cfdPath !== undefined) form.append("cfdPath", o.cfdPath);
  return fetch(`${url}/dcm/builds`, { method: "POST", headers: auth(key), body: form });
}

export async function submitOk(url: string, key: string, archive: Buffer, o: Parameters<typeof submit>[3] = {}): Promise<BuildRecord> {
  const r = await submit(url, key, archive, o);
  const body = (await r.json()) as BuildRecord;
  if (r.status !== 202) throw new Error(`POST answered ${r.status}: ${JSON.stringify(body)}`);
  return body;
}

export async function getBuild(url: string, key: string, id: string): Promise<BuildRecord> {
  const r = await fetch(`${url}/dcm/builds/${id}`, { headers: auth(key) });
  return (await r.json()) as BuildRecord;
}

/** Reads the build's SSE stream until the server ends it; `onEvent` sees each event as it arrives. */
export async function readEvents(
  url: string,
  key: string,
  id: string,
  o: { lastEventId?: number; onEvent?: (e: BuildEvent) => void; comments?: string[] } = {},
): Promise<BuildEvent[]> {
  const headers: Record<string, string> = { ...auth(key) };
  if (o.lastEventId !== undefined) headers["last-event-id"] = String(o.lastEventId);
  const r = await fetch(`${url}/dcm/builds/${id}/events`, { headers });
  if (r.status !== 200) throw new Error(`events answered ${r.status}`);
  const events: BuildEvent[] = [];
  const decoder = new TextDecoder();
  let buf = "";
  for await (const chunk of r.body as unknown as AsyncIterable<Uint8Array>) {
    buf += decoder.decode(chunk, { stream: true });
    for (let i = buf.indexOf("\n\n"); i >= 0; i = buf.indexOf("\n\n")) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const fields: Record<string, string> = {};
      for (const line of block.split("\n")) {
        if (line.startsWith(":")) o.comments?.push(line);
        const m = /^(\w+): ?(.*)$/.exec(line);
        if (m) fields[m[1]!] = m[2]!;
      }
      if (fields.data) {
        const e = JSON.parse(fields.data) as BuildEvent;
        if (String(e.seq) !== fields.id || e.type !== fields.event) throw new Error(`SSE fields disagree: ${block}`);
        events.push(e);
        o.onEvent?.(e);
      }
    }
  }
  return events;
}

export async function waitFinal(url: string, key: string, id: string): Promise<BuildRecord> {
  const events = await readEvents(url, key, id);
  const last = events[events.length - 1];
  if (last?.type !== "state") throw new Error(`the stream ended without a final state: ${JSON.stringify(last)}`);
  return getBuild(url, key, id);
}

export const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

/** sha256 of every file under a folder. */
export async function treeHashes(dir: string): Promise<Record<string, string>> {
  const files = await readTree(dir);
  return Object.fromEntries(Object.entries(files).map(([k, v]) => [k, sha256(v)]));
}

/** sha256 of every file of a build's dist, downloaded one by one. */
export async function downloadedHashes(url: string, key: string, id: string): Promise<Record<string, string>> {
  const r = await fetch(`${url}/dcm/builds/${id}/dist.tar.gz`, { headers: auth(key) });
  if (r.status !== 200) throw new Error(`dist.tar.gz answered ${r.status}`);
  const archive = Buffer.from(await r.arrayBuffer());
  if (r.headers.get("etag") !== `"${sha256(archive)}"`) throw new Error("the ETag of dist.tar.gz is not its sha256");
  const again = await fetch(`${url}/dcm/builds/${id}/dist.tar.gz`, { headers: { ...auth(key), "if-none-match": r.headers.get("etag")! } });
  if (again.status !== 304) throw new Error(`dist.tar.gz with If-None-Match answered ${again.status}, not 304`);
  const names: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const p = new tar.Parser({ onReadEntry: (e) => { if (e.type === "File") names.push(e.path); e.resume(); } });
    p.on("end", resolve);
    p.on("error", reject);
    p.end(archive);
  });
  const out: Record<string, string> = {};
  for (const n of names) {
    const f = await fetch(`${url}/dcm/builds/${id}/dist/${n}`, { headers: auth(key) });
    const bytes = Buffer.from(await f.arrayBuffer());
    out[n] = sha256(bytes);
    if (n === "manifest.json") {
      const problems = manifestProblems(JSON.parse(bytes.toString("utf8")));
      if (problems.length > 0) throw new Error(`the service's manifest.json does not follow docs/manifest.schema.json:\n  ${problems.join("\n  ")}`);
    }
    if (f.headers.get("etag") !== `"${out[n]}"`) throw new Error(`ETag of ${n} is not its sha256`);
  }
  return out;
}

/** Processes whose command line mentions `needle` (toolchain steps of a build run under its scratch folder). */
export async function processesMentioning(...needles: string[]): Promise<string[]> {
  const found: string[] = [];
  for (const pid of await readdir("/proc")) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    const cmd = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
    if (needles.every((n) => cmd.includes(n))) found.push(`${pid}: ${cmd.replaceAll("\0", " ").slice(0, 200)}`);
  }
  return found;
}

export async function eventually<T>(fn: () => Promise<T | undefined | false>, what: string, tries = 600): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = await fn();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * A Rust crate whose dependency's build script never ends (it sleeps in a
 * loop: a hung build without burning the shared cores). `tag` names the
 * dependency, so its running build script is found by name in /proc.
 */
export function loopingCrate(tag: string): Record<string, string> {
  const dep = `loopdep_${tag}`;
  return {
    "Cargo.toml": `[package]\nname = "app_${tag}"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\n${dep} = { path = "dep" }\n`,
    "src/lib.rs": `pub fn value() -> i32 {\n    ${dep}::value()\n}\n`,
    "dep/Cargo.toml": `[package]\nname = "${dep}"\nversion = "0.1.0"\nedition = "2021"\nbuild = "build.rs"\n`,
    "dep/build.rs": "fn main() {\n    loop {\n        std::thread::sleep(std::time::Duration::from_millis(50));\n    }\n}\n",
    "dep/src/lib.rs": "pub fn value() -> i32 {\n    41\n}\n",
    "dcm.yaml": "fragments:\n  - { id: value, name: value, runOn: client, location: { filepath: src/lib.rs } }\n",
  };
}
