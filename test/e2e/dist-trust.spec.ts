/**
 * A dist is not trusted blindly, in every host: `dcm invoke` (the real CLI),
 * openDist, the server (createDcmServer: the distributor's module loading and
 * the static dist route) and the browser client (createClient with a
 * manifestUrl). Each gets a real built dist (the small Go fixture) altered
 * the way a hostile or careless hand would: a module path with `..`, an
 * absolute one, a symbolic link out of the dist (all three pointing at a
 * byte-identical copy of the module, so only the path check can refuse
 * them), a missing module and a tampered one.
 */
import { cp, mkdtemp, readFile, rm, symlink, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Manifest } from "../../runtime/abi/manifest-types.js";
import { createClient } from "../../runtime/client/client-distributor.js";
import { openDist } from "../../src/index.js";
import { startServer } from "../server/harness.js";
import { runCli } from "../support/run-cli.js";
import { buildSmall, type BuiltDist } from "../client/build-fixture.js";

let built: BuiltDist;
let scratch: string;

beforeAll(async () => {
  built = await buildSmall();
  scratch = await mkdtemp(join(tmpdir(), "dcm-trust-"));
});

afterAll(async () => {
  await built?.cleanup();
  await rm(scratch, { recursive: true, force: true });
});

type Alteration = "dotdot" | "absolute" | "symlink" | "missing" | "tampered";

const EXPECTED: Record<Alteration, string> = {
  dotdot: "DCM_MANIFEST_UNSAFE_PATH",
  absolute: "DCM_MANIFEST_UNSAFE_PATH",
  symlink: "DCM_MANIFEST_UNSAFE_PATH",
  missing: "DCM_MODULE_MISSING",
  tampered: "DCM_MODULE_CORRUPT",
};

/** A copy of the dist with its client wasm module altered; an identical copy of the module waits outside the dist. */
async function altered(how: Alteration): Promise<string> {
  const home = await mkdtemp(join(scratch, `${how}-`));
  const dist = join(home, "dist");
  await cp(built.dist, dist, { recursive: true });
  const manifest = JSON.parse(await readFile(join(dist, "manifest.json"), "utf8")) as Manifest;
  const wasm = manifest.modules.find((m) => m.target === "wasm")!;
  const outside = join(home, "outside.wasm");
  await cp(join(dist, wasm.file), outside);
  if (how === "dotdot") wasm.file = "../outside.wasm";
  if (how === "absolute") wasm.file = outside;
  if (how === "symlink") {
    await unlink(join(dist, wasm.file));
    await symlink(outside, join(dist, wasm.file));
  }
  if (how === "missing") await unlink(join(dist, wasm.file));
  if (how === "tampered")
    await writeFile(join(dist, wasm.file), Buffer.concat([await readFile(outside), Buffer.from([0])]));
  await writeFile(join(dist, "manifest.json"), JSON.stringify(manifest, null, 2));
  return dist;
}

const ALL = Object.keys(EXPECTED) as Alteration[];

/** A copy of the dist with its native plugin altered (the copy outside is identical to the original). */
async function alteredNative(how: "tampered" | "symlink" | "missing"): Promise<string> {
  const home = await mkdtemp(join(scratch, `native-${how}-`));
  const dist = join(home, "dist");
  await cp(built.dist, dist, { recursive: true });
  const manifest = JSON.parse(await readFile(join(dist, "manifest.json"), "utf8")) as Manifest;
  const so = join(dist, manifest.modules.find((m) => m.target === "native")!.file);
  const outside = join(home, "outside.so");
  await cp(so, outside);
  await unlink(so);
  if (how === "tampered") await writeFile(so, Buffer.concat([await readFile(outside), Buffer.from([0])]));
  if (how === "symlink") await symlink(outside, so);
  return dist;
}

describe("dcm invoke refuses an altered dist with a typed error", () => {
  it.each(ALL)("%s", async (how) => {
    const dist = await altered(how);
    const r = await runCli(["invoke", dist, "add", "--args", "[2, 3]", "--on", "client"]);
    expect(r.code, r.stderr).toBe(1);
    const err = JSON.parse(r.stdout).error;
    expect(err.code, err.message).toBe(EXPECTED[how]);
    expect(r.stderr).not.toMatch(/ENOENT|\n\s+at /);
  });

  it("a tampered or symlinked native plugin (--on server) is refused too", async () => {
    for (const [how, code] of [
      ["tampered", "DCM_MODULE_CORRUPT"],
      ["symlink", "DCM_MANIFEST_UNSAFE_PATH"],
      ["missing", "DCM_MODULE_MISSING"],
    ] as const) {
      const dist = await alteredNative(how);
      const r = await runCli(["invoke", dist, "shout", "--args", '["hi"]', "--on", "server"]);
      expect(r.code, r.stderr).toBe(1);
      expect(JSON.parse(r.stdout).error.code, how).toBe(code);
      await expect(startServer(dist), how).rejects.toMatchObject({ code });
    }
  });

  it("the unaltered dist runs", async () => {
    const r = await runCli(["invoke", built.dist, "add", "--args", "[2, 3]", "--on", "client"]);
    expect(r.stdout.trim()).toBe("5");
  });
});

describe("openDist", () => {
  it.each(ALL)("%s", async (how) => {
    const dist = await altered(how);
    // An unsafe path is refused when the dist is opened; a missing or damaged module when it is first loaded.
    const opened = openDist(dist);
    if (how === "dotdot" || how === "absolute") {
      await expect(opened).rejects.toMatchObject({ code: EXPECTED[how] });
      return;
    }
    const d = await opened;
    try {
      await expect(d.call("add", [2, 3], { on: "client" })).rejects.toMatchObject({ code: EXPECTED[how] });
    } finally {
      await d.close();
    }
  });
});

describe("the server (createDcmServer) does not start on an altered dist", () => {
  it.each(ALL)("%s", async (how) => {
    const dist = await altered(how);
    await expect(startServer(dist)).rejects.toMatchObject({ code: EXPECTED[how] });
  });

  it("the static dist route serves only the files it read at start-up", async () => {
    const s = await startServer(built.dist);
    try {
      const base = `${s.url}${s.app.dcm.prefix}/dist`;
      expect((await fetch(`${base}/manifest.json`)).status).toBe(200);
      for (const p of ["../manifest.json", "%2e%2e/%2e%2e/etc/passwd", "server/go.so", "/etc/passwd"])
        expect((await fetch(`${base}/${p}`)).status, p).toBe(404);
    } finally {
      await s.close();
    }
  });
});

describe("the browser client (createClient with manifestUrl) refuses a forged manifest", () => {
  /** The real server's files, with the manifest forged in transit (a hostile proxy or a tampered CDN). */
  async function clientWith(forge: (m: Manifest) => void) {
    const s = await startServer(built.dist);
    const manifestUrl = `${s.url}${s.app.dcm.prefix}/dist/manifest.json`;
    const requested: string[] = [];
    const forgingFetch = async (input: string | URL | Request) => {
      const url = String(input);
      requested.push(url);
      if (url !== manifestUrl) return fetch(url);
      const m = (await (await fetch(url)).json()) as Manifest;
      forge(m);
      return new Response(JSON.stringify(m), { status: 200, headers: { "content-type": "application/json" } });
    };
    try {
      const c = createClient({
        url: s.wsUrl,
        getToken: async () => "",
        manifestUrl,
        fetch: forgingFetch as typeof fetch,
        executor: "in-thread",
        heartbeatMs: 0,
      });
      return {
        result: await c.then(
          async (client) => {
            await client.close();
            return { code: "connected" };
          },
          (e: { code?: string }) => ({ code: e.code }),
        ),
        requested,
      };
    } finally {
      await s.close();
    }
  }

  it("`..` and other origins are never fetched", async () => {
    for (const file of ["../../secret.wasm", "https://evil.example/x.wasm", "/etc/passwd"]) {
      const { result, requested } = await clientWith((m) => {
        m.modules.find((x) => x.target === "wasm")!.file = file;
      });
      expect(result.code, file).toBe("DCM_MANIFEST_UNSAFE_PATH");
      expect(requested.filter((u) => u.includes("secret") || u.includes("evil") || u.includes("passwd"))).toEqual([]);
    }
  });

  it("a module the server does not have is DCM_MODULE_MISSING; a wrong sha256 DCM_MODULE_CORRUPT", async () => {
    const missing = await clientWith((m) => {
      m.modules.find((x) => x.target === "wasm")!.file = "client/nothere.wasm";
    });
    expect(missing.result.code).toBe("DCM_MODULE_MISSING");
    const corrupt = await clientWith((m) => {
      m.modules.find((x) => x.target === "wasm")!.sha256 = "0".repeat(64);
    });
    expect(corrupt.result.code).toBe("DCM_MODULE_CORRUPT");
  });
});
