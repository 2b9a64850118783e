/**
 * `dcm submit` end to end: the real CLI against a real `dcm serve` on
 * loopback (test/service/submit-harness.ts), the Go example built by the
 * service in its sandbox, compared with a local `dcm build` of the same tree.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server, type Socket, connect } from "node:net";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { list } from "tar";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cmdSubmit } from "../../src/cli/submit-command.js";
import { DCM_BIN, ROOT, runCli } from "../support/run-cli.js";
import { eventually, loopingCrate, processesMentioning } from "./service-helpers.js";
import { type ServeHandle, startServe } from "./submit-harness.js";

let dir: string;
let repo: string;
let serve: ServeHandle;

/** Files the packing must leave out (gitignored, or always left out) and the ones it must keep. */
const LEFT_OUT = [
  "debug.log",
  "secret/key.txt",
  "shared/scratch.tmp",
  "node_modules/pkg/index.js",
  "employees/node_modules/deep/a.js",
  "target/debug/app",
  "dist/old.js",
  ".git/HEAD",
];
const KEPT = ["keep.log", "shared/notes.txt", ".gitignore", "shared/.gitignore"];

async function sha256sOf(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else
        out[relative(root, p)] = createHash("sha256")
          .update(await readFile(p))
          .digest("hex");
    }
  };
  await walk(root);
  return out;
}

const env = (key: string | undefined) => {
  const e = { ...process.env };
  delete e.DCM_API_KEY;
  return key === undefined ? e : { ...e, DCM_API_KEY: key };
};

const jsonLines = (stdout: string) =>
  stdout
    .split("\n")
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "dcm-submit-"));
  repo = join(dir, "repo");
  await cp(join(ROOT, "examples/go-shop"), repo, { recursive: true });
  await writeFile(join(repo, ".gitignore"), "*.log\n!keep.log\nsecret/\n");
  await writeFile(join(repo, "shared/.gitignore"), "*.tmp\n");
  for (const f of [...LEFT_OUT, ...KEPT.filter((f) => !f.endsWith(".gitignore"))]) {
    await mkdir(join(repo, f, ".."), { recursive: true });
    await writeFile(join(repo, f), `${f}\n`);
  }
  serve = await startServe(join(dir, "store"));
});

afterAll(async () => {
  await serve?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe("dcm submit", () => {
  let first: Record<string, unknown>[];

  it("builds the example in the service: the dist in --out equals a local `dcm build`, one JSON event per line", async () => {
    const r = await runCli(
      ["submit", repo, "--cfd", join(repo, "dcm.yaml"), "--server", serve.url, "--out", join(dir, "out"), "--json"],
      { env: env(serve.key) },
    );
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    first = jsonLines(r.stdout);
    expect(first[0]).toMatchObject({ type: "submitted", cfdPath: "dcm.yaml" });
    expect(first.at(-1)).toMatchObject({ type: "result", ok: true });
    const events = first.slice(1, -1);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events.at(-1)).toMatchObject({ type: "state", state: "succeeded" });

    const local = await runCli(["build", repo, "--cfd", join(repo, "dcm.yaml"), "--out", join(dir, "local")]);
    expect(local.code, local.stderr).toBe(0);
    const [remote, here] = await Promise.all([sha256sOf(join(dir, "out")), sha256sOf(join(dir, "local"))]);
    expect(Object.keys(remote)).toContain("manifest.json");
    expect(remote).toEqual(here);
  });

  it("uploads no .gitignore'd, node_modules, target, dist or .git file (the archive the service stored)", async () => {
    const sha = first[0]!.archiveSha256 as string;
    const paths: string[] = [];
    await list({ file: join(dir, "store", "blobs", sha), onReadEntry: (e) => void paths.push(e.path) });
    for (const f of LEFT_OUT) expect(paths).not.toContain(f);
    for (const f of [...KEPT, "dcm.yaml", "main.go", "go.mod"]) expect(paths).toContain(f);
    expect(paths).toEqual([...paths].sort());
    expect(paths.length).toBe(first[0]!.files);
  });

  it("answers an identical second submission from the store, without building", async () => {
    const r = await runCli(
      ["submit", repo, "--cfd", join(repo, "dcm.yaml"), "--server", serve.url, "--out", join(dir, "out"), "--json"],
      { env: env(serve.key) },
    );
    expect(r.code, r.stderr).toBe(0);
    const lines = jsonLines(r.stdout);
    // The same bytes were uploaded: packing is deterministic.
    expect(lines[0]!.archiveSha256).toBe(first[0]!.archiveSha256);
    expect(lines.some((e) => e.type === "stage")).toBe(false);
    expect(lines.at(-1)).toMatchObject({ type: "result", ok: true, fromStore: true });
  });

  it("shows a progress line on a terminal instead of plain lines", async () => {
    // A fresh variant, so that the build runs its stages (a store answer has none).
    const variant = join(dir, "variant");
    await cp(repo, variant, { recursive: true });
    await writeFile(join(variant, "extra.txt"), "a change\n");
    const written: string[] = [];
    const tty = { isTTY: true, write: (s: string) => written.push(s) > 0 } as unknown as NodeJS.WriteStream;
    const err: string[] = [];
    const code = await cmdSubmit(
      [variant, "--cfd", join(variant, "dcm.yaml"), "--server", serve.url, "--out", join(dir, "out-tty")],
      { out: () => {}, err: (s) => err.push(s) },
      env(serve.key),
      tty,
    );
    expect(code, err.join("")).toBe(0);
    expect(written.some((w) => w.startsWith("\r\x1b[2K[") && w.includes("analysis"))).toBe(true);
    expect(written.at(-1)).toBe("\r\x1b[2K");
    expect(err.join("")).not.toMatch(/^stage /m);
    expect(err.join("")).toMatch(/^Built \d+ fragments into /m);
  });

  it("exits non-zero with the diagnostic at the CFD's file:line:col when the build fails", async () => {
    const text = (await readFile(join(repo, "dcm.yaml"), "utf8")).replace("name: GetHash\n", "name: GetHashMissing\n");
    const bad = join(dir, "bad.yaml");
    await writeFile(bad, text);
    const line = text.split("\n").findIndex((l) => l.includes("GetHashMissing")) + 1;
    const col = text.split("\n")[line - 1]!.indexOf("GetHashMissing") + 1;
    const r = await runCli(["submit", repo, "--cfd", bad, "--server", serve.url, "--out", join(dir, "out-bad")], {
      env: env(serve.key),
      cwd: dir,
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`bad.yaml:${line}:${col}: error DCM_CFD_SYMBOL_NOT_FOUND`);
    expect(r.stderr).toContain("DCM_SUBMIT_BUILD_FAILED");
    await expect(readdir(join(dir, "out-bad"))).rejects.toThrow();
  });

  it("exits non-zero with the service's 401 message for a wrong key, and says how to set a missing one", async () => {
    const answer = await fetch(`${serve.url}/dcm/builds`, { headers: { authorization: "Bearer wrong-key" } });
    expect(answer.status).toBe(401);
    const { error } = (await answer.json()) as { error: { code: string; message: string } };
    const args = ["submit", repo, "--cfd", join(repo, "dcm.yaml"), "--server", serve.url, "--out", join(dir, "o2")];
    const wrong = await runCli(args, { env: env("wrong-key") });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain(`${error.code}: ${error.message}`);
    const missing = await runCli(args, { env: env(undefined) });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("DCM_SUBMIT_NO_KEY");
    expect(missing.stderr).toContain("export DCM_API_KEY=");
  });

  it("refuses an --out folder it did not make before uploading, and leaves it alone", async () => {
    const mine = join(dir, "mine");
    await mkdir(mine);
    await writeFile(join(mine, "notes.txt"), "mine\n");
    const before = await fetch(`${serve.url}/dcm/builds?limit=100`, {
      headers: { authorization: `Bearer ${serve.key}` },
    }).then((r) => r.json() as Promise<{ builds: unknown[] }>);
    const r = await runCli(["submit", repo, "--cfd", join(repo, "dcm.yaml"), "--server", serve.url, "--out", mine], {
      env: env(serve.key),
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("DCM_OUT_UNSAFE");
    expect(await readdir(mine)).toEqual(["notes.txt"]);
    const after = await fetch(`${serve.url}/dcm/builds?limit=100`, {
      headers: { authorization: `Bearer ${serve.key}` },
    }).then((r) => r.json() as Promise<{ builds: unknown[] }>);
    expect(after.builds.length).toBe(before.builds.length);
  });

  it("cancels the build in the service on Ctrl-C and exits 130; the build's processes end", async () => {
    const loop = join(dir, "looping");
    for (const [f, text] of Object.entries(loopingCrate("submitint"))) {
      await mkdir(join(loop, f, ".."), { recursive: true });
      await writeFile(join(loop, f), text);
    }
    const child = spawn(
      process.execPath,
      [DCM_BIN, "submit", loop, "--cfd", join(loop, "dcm.yaml"), "--server", serve.url, "--out", join(dir, "out-int"), "--json"],
      { env: env(serve.key), stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    await eventually(async () => (await processesMentioning("loopdep_submitint-", "build-script-build")).length > 0, "the looping build script to run");
    child.kill("SIGINT");
    expect(await exited, stderr).toBe(130);
    const lines = jsonLines(stdout);
    const id = lines[0]!.id as string;
    expect(lines.at(-1)).toMatchObject({ type: "result", ok: false, id, state: "cancelled" });
    expect(stderr).toContain(`cancelling build ${id}`);
    const record = (await fetch(`${serve.url}/dcm/builds/${id}`, { headers: { authorization: `Bearer ${serve.key}` } }).then((r) => r.json())) as { state: string };
    expect(record.state).toBe("cancelled");
    await eventually(async () => (await processesMentioning("loopdep_submitint")).length === 0, "the build's processes to end");
    await expect(readdir(join(dir, "out-int"))).rejects.toThrow();
  });

  it("resumes a dropped event stream with Last-Event-ID and sees every event once", async () => {
    // A loopback proxy that cuts the first event stream right after its first event.
    const seen: string[] = [];
    let cut = false;
    const upstream = new URL(serve.url);
    const proxy: Server = createServer((client: Socket) => {
      const server = connect(Number(upstream.port), upstream.hostname);
      let isFirstStream = false;
      let response = "";
      client.on("data", (b) => {
        // fetch reuses connections: each request's head arrives in a chunk of its own on loopback.
        const head = b.toString("latin1");
        if (/^GET \/dcm\/builds\/[^/ ]+\/events /.test(head)) {
          seen.push(head);
          if (!cut) {
            cut = true;
            isFirstStream = true;
          }
        }
        server.write(b);
      });
      server.on("data", (b) => {
        if (!isFirstStream) return void client.write(b);
        response += b.toString("latin1");
        const body = response.indexOf("\r\n\r\n");
        const data = response.indexOf("data:", body);
        const end = data < 0 ? -1 : response.indexOf("\n\n", data);
        if (body < 0 || end < 0) return void client.write(b);
        client.write(b.subarray(0, b.length - (response.length - (end + 2))));
        client.destroy();
        server.destroy();
      });
      client.on("error", () => server.destroy());
      server.on("error", () => client.destroy());
      client.on("close", () => server.destroy());
      server.on("close", () => client.destroy());
    });
    await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
    try {
      const port = (proxy.address() as { port: number }).port;
      const r = await runCli(
        [
          "submit",
          repo,
          "--cfd",
          join(repo, "dcm.yaml"),
          "--server",
          `http://127.0.0.1:${port}`,
          "--out",
          join(dir, "out"),
          "--json",
        ],
        { env: env(serve.key) },
      );
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(seen.length).toBeGreaterThanOrEqual(2);
      expect(seen[1]!.toLowerCase()).toContain("last-event-id: 1\r\n");
      const events = jsonLines(r.stdout).slice(1, -1);
      expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
      expect(events.at(-1)).toMatchObject({ type: "state", state: "succeeded" });
    } finally {
      await new Promise((r) => proxy.close(r));
    }
  });
});
