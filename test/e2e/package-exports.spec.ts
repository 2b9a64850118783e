/**
 * dcm as a dependency of an application: `npm pack` the project, install the
 * tarball into a temporary application, and use it only through the
 * package's `exports` — `dcm`, `dcm/server`, `dcm/client`:
 *  - a TypeScript file importing all three type-checks with `tsc --noEmit`
 *    under moduleResolution node16 and bundler (no `any` sneaks in: strict);
 *  - a Node script imports the three, serves a built dist with fastify and the
 *    `dcmDistributor` plugin on loopback, calls fragments through
 *    `createClient` (Node) on the server placement and on the client one, and
 *    through `openDist`: every value equals `dcm invoke`'s (the packed CLI).
 *
 * Limitation: `npm install <tarball> --offline` cannot work on this machine
 * (the npm cache holds no package metadata: ENOTCACHED), so the tarball is
 * installed by hand the way npm lays it out — unpacked into
 * node_modules/dcm — and dcm's dependencies (and fastify, typescript,
 * @types/node for the application) are symbolic links to the project's own
 * node_modules, a flat layout like npm's. Everything dcm's code reaches comes
 * from the packed tarball, so a file the `files` list forgets fails here.
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BuiltDist, buildSmall } from "../client/build-fixture.js";
import { ROOT } from "../support/run-cli.js";

const run = promisify(execFile);
let scratch: string;
let app: string;
let built: BuiltDist;

/** node_modules/<dep> → the project's, for every installed package (scoped ones one level deeper). */
async function linkDependencies(nodeModules: string): Promise<void> {
  const from = join(ROOT, "node_modules");
  for (const name of await readdir(from)) {
    if (name.startsWith(".") || name === "dcm") continue;
    if (name.startsWith("@")) {
      await mkdir(join(nodeModules, name), { recursive: true });
      for (const sub of await readdir(join(from, name)))
        await symlink(join(from, name, sub), join(nodeModules, name, sub));
    } else {
      await symlink(join(from, name), join(nodeModules, name));
    }
  }
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "dcm-pkg-"));
  built = await buildSmall();
  const { stdout } = await run("npm", ["pack", "--json", "--pack-destination", scratch], { cwd: ROOT });
  const tarball = join(scratch, (JSON.parse(stdout) as Array<{ filename: string }>)[0]!.filename);
  app = join(scratch, "app");
  const dcmDir = join(app, "node_modules", "dcm");
  await mkdir(dcmDir, { recursive: true });
  await run("tar", ["xzf", tarball, "-C", dcmDir, "--strip-components=1"]);
  await linkDependencies(join(app, "node_modules"));
  await writeFile(
    join(app, "package.json"),
    JSON.stringify({ name: "app", private: true, type: "module", dependencies: { dcm: `file:${tarball}` } }),
  );
  await writeFile(join(app, "main.ts"), APP_TS);
  await writeFile(join(app, "main.mjs"), APP_MJS);
  for (const resolution of ["node16", "bundler"]) {
    await writeFile(
      join(app, `tsconfig.${resolution}.json`),
      JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          module: resolution === "node16" ? "node16" : "ESNext",
          moduleResolution: resolution,
          strict: true,
          noEmit: true,
          types: ["node"],
          lib: ["ES2022", "DOM"],
        },
        files: ["main.ts"],
      }),
    );
  }
}, 300_000);

afterAll(async () => {
  await built?.cleanup();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

/** Type-checked, never run: every import must resolve to declarations, and the calls must fit them. */
const APP_TS = `
import { buildDist, openDist, type LoadedDist, FragmentCallError } from "dcm";
import { attachDistributor, dcmDistributor, type DcmPluginOptions } from "dcm/server";
import { createClient, type DcmClient } from "dcm/client";
import Fastify from "fastify";
import { createServer } from "node:http";

export async function serve(dist: string): Promise<string> {
  const app = Fastify();
  const opts: DcmPluginOptions = { dist, auth: { keys: [{ kid: "k", secret: "s".repeat(32) }] }, allowedOrigins: [] };
  await app.register(dcmDistributor, opts);
  const attached = await attachDistributor(createServer(), opts);
  await attached.close();
  return app.listen({ port: 0 });
}
export async function use(dist: string): Promise<bigint> {
  const d: LoadedDist = await openDist(dist);
  const c: DcmClient = await createClient({ url: "ws://127.0.0.1/dcm/ws", getToken: async () => "", manifestUrl: "/m.json" });
  const r = await c.call("add", [1n, 2n]);
  await d.close();
  if (typeof r !== "bigint") throw new FragmentCallError("X", "not a bigint", "add");
  void buildDist;
  return r;
}
`;

/**
 * Serves <dist> with the fastify plugin, gets a token the way a browser
 * would (POST /dcm/auth/session), and prints, per fragment, the value through
 * createClient (and where it ran) and through openDist, as canonical JSON.
 */
const APP_MJS = `
import { openDist } from "dcm";
import { dcmDistributor } from "dcm/server";
import { createClient, parseJsonArgs, toCanonicalJson } from "dcm/client";
import Fastify from "fastify";

const [dist, ...calls] = process.argv.slice(2);
const app = Fastify();
await app.register(dcmDistributor, {
  dist,
  auth: { keys: [{ kid: "app", secret: "an-application-secret-of-32-bytes!" }] },
  allowedOrigins: ["http://app.test"],
  allowMissingOrigin: true,
  workers: 1,
});
const url = await app.listen({ port: 0, host: "127.0.0.1" });
const getToken = async () => (await (await fetch(url + "/dcm/auth/session", { method: "POST" })).json()).accessToken;
const client = await createClient({ url: url.replace(/^http/, "ws") + "/dcm/ws", getToken, dist, executor: "in-thread", heartbeatMs: 0, onOutput: () => {} });
await client.whenConnected(20_000);
const local = await openDist(dist, { onOutput: () => {} });
const out = {};
try {
  for (let i = 0; i < calls.length; i += 2) {
    const [id, argsJson] = [calls[i], calls[i + 1]];
    const f = client.manifest.fragments.find((x) => x.id === id);
    const sig = f.signature;
    const type = sig.results.length === 1 ? sig.results[0] : sig.results;
    const r = await client.callWithInfo(id, parseJsonArgs(argsJson, sig, client.manifest.types, id));
    const viaOpenDist = await local.call(id, parseJsonArgs(argsJson, sig, client.manifest.types, id), { on: "client" });
    out[id] = {
      client: toCanonicalJson(r.value, type, client.manifest.types),
      ranOn: r.ranOn,
      openDist: toCanonicalJson(viaOpenDist, type, client.manifest.types),
    };
  }
} finally {
  await client.close();
  await local.close();
  await app.close();
}
console.log(JSON.stringify(out));
`;

describe("dcm as an application's dependency (package.json exports)", () => {
  it("type-checks an application importing dcm, dcm/server and dcm/client (node16 and bundler resolution)", async () => {
    const tsc = join(app, "node_modules", "typescript", "bin", "tsc");
    for (const resolution of ["node16", "bundler"]) {
      const r = await run(process.execPath, [tsc, "-p", `tsconfig.${resolution}.json`], { cwd: app }).catch(
        (e: { stdout: string; stderr: string }) => ({ failed: `${e.stdout}${e.stderr}` }),
      );
      expect("failed" in r ? r.failed : "", resolution).toBe("");
    }
  }, 120_000);

  it("serves a dist with the fastify plugin and calls it through createClient in Node: the values of `dcm invoke`", async () => {
    const cases: Array<[string, string]> = [
      ["shout", '["hello, dcm"]'],
      ["add", "[40, 2]"],
    ];
    const { stdout } = await run(process.execPath, ["main.mjs", built.dist, ...cases.flat()], {
      cwd: app,
      timeout: 120_000,
    });
    const got = JSON.parse(stdout) as Record<string, { client: string; ranOn: string; openDist: string }>;
    const cli = join(app, "node_modules", "dcm", "bin", "dcm.js");
    for (const [id, args] of cases) {
      const invoked = (
        await run(process.execPath, [cli, "invoke", built.dist, id, "--args", args, "--on", "server"])
      ).stdout.trim();
      expect(got[id]?.client, id).toBe(invoked);
      expect(got[id]?.openDist, id).toBe(invoked);
    }
    // The CFD places `shout` on the server and `add` on the client; the server's distribution is followed.
    expect(got.shout?.ranOn).toBe("server");
    expect(got.add?.ranOn).toBe("client");
  }, 180_000);
});
