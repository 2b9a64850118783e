/**
 * State across a live redeploy, for every language with the common state
 * fixture (languages/<id>/fixtures/state: counter-add/counter-get,
 * log-append/log-join, blob-put/blob-size, pure-double; docs/state.md),
 * built with the real `dcm build` three times from CFD edits only, so the
 * test needs nothing language-specific:
 *
 *   v1  the counter group on the client, the log group on the server;
 *   v2  pure-double moved to the other side: a new build, every group's
 *       state types unchanged -> everything carries over;
 *   v3  the counter fragments named into a CFD group `tally`: the counter's
 *       state is now another group's -> it resets (and the app is told),
 *       the log group still carries over.
 *
 * Values are compared with what the same client read before the deploy, and
 * the reset value with what a fresh client reads (never hard-coded).
 */
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { existsSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import type { Manifest } from "../../runtime/abi/manifest-types.js";
import type { DcmClient } from "../../runtime/client/client-distributor.js";
import { createClient } from "../../runtime/client/node-client.js";
import type { RedeployEvent } from "../../runtime/client/redeploy.js";
import { packRepo } from "../../src/service/client/pack-repo.js";
import { API_KEY, type RunningServer, startServer, wsWithOrigin } from "../client/server-harness.js";
import { ROOT, runCli } from "../support/run-cli.js";

const LANGS = readdirSync(join(ROOT, "languages"), { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(ROOT, "languages", d.name, "fixtures", "state", "dcm.yaml")))
  .map((d) => d.name)
  .sort();

type CfdFragment = { id: string; runOn?: string; group?: string };
type Edit = (fragments: CfdFragment[]) => void;

const place = (ids: string[], side: string): Edit => (fs) => {
  for (const f of fs) if (ids.includes(f.id)) f.runOn = side;
};
const V1: Edit[] = [place(["counter-add", "counter-get"], "client"), place(["log-append", "log-join"], "server")];
const V2: Edit[] = [...V1, (fs) => {
  const f = fs.find((x) => x.id === "pure-double")!;
  f.runOn = f.runOn === "server" ? "client" : "server";
}];
const V3: Edit[] = [...V2, (fs) => {
  for (const f of fs) if (f.id === "counter-add" || f.id === "counter-get") f.group = "tally";
}];

interface Built {
  dist: string;
  manifest: Manifest;
  tarGz(): Promise<Buffer>;
}

async function buildWith(lang: string, scratch: string, name: string, edits: Edit[]): Promise<Built> {
  const repo = join(scratch, `repo-${name}`);
  await cp(join(ROOT, "languages", lang, "fixtures", "state"), repo, { recursive: true });
  const cfd = parse(await readFile(join(repo, "dcm.yaml"), "utf8")) as { fragments: CfdFragment[] };
  for (const e of edits) e(cfd.fragments);
  await writeFile(join(repo, "dcm.yaml"), stringify(cfd));
  const dist = join(scratch, `dist-${name}`);
  const r = await runCli(["build", repo, "--cfd", join(repo, "dcm.yaml"), "--out", dist, "--json"]);
  if (r.code !== 0) throw new Error(`dcm build (${lang} ${name}) failed (${r.code}): ${r.stderr}\n${r.stdout}`);
  const manifest = JSON.parse(await readFile(join(dist, "manifest.json"), "utf8")) as Manifest;
  return { dist, manifest, tarGz: async () => (await packRepo(dist)).data };
}

const groupOf = (m: Manifest, id: string) => m.groups?.find((g) => g.state.length > 0 && g.fragments.includes(id))?.id;

describe.each(LANGS)("state of %s across a live redeploy", (lang) => {
  let scratch: string;
  let v1: Built;
  let v2: Built;
  let v3: Built;

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), `dcm-redeploy-state-${lang}-`));
    [v1, v2, v3] = [await buildWith(lang, scratch, "v1", V1), await buildWith(lang, scratch, "v2", V2), await buildWith(lang, scratch, "v3", V3)];
  }, 600_000);

  afterAll(async () => {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it("carries client- and server-side state over when its types did not change, and resets it (telling the app) when its group changed", async () => {
    const counter = groupOf(v1.manifest, "counter-add");
    const log = groupOf(v1.manifest, "log-append");
    expect(counter, `${lang}: the build found no state group for counter-add`).toBeDefined();
    expect(log, `${lang}: the build found no state group for log-append`).toBeDefined();
    expect(groupOf(v2.manifest, "counter-add")).toBe(counter);
    expect(groupOf(v3.manifest, "counter-add")).toBe("tally");
    const s: RunningServer = await startServer(v1.dist);
    const clients: DcmClient[] = [];
    const client = async () => {
      const c = await createClient({
        url: s.wsUrl,
        getToken: async () => (await s.app.dcm.distributor.issueAccessToken()).accessToken,
        manifestUrl: `${s.url}/dcm/dist/manifest.json`,
        executor: "in-thread",
        WebSocket: wsWithOrigin(),
        heartbeatMs: 0,
        reportStats: false,
      });
      clients.push(c);
      await c.whenConnected(10_000);
      return c;
    };
    const put = async (b: Built) => {
      const r = await fetch(`${s.url}/dcm/api/dist`, {
        method: "PUT",
        headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/gzip" },
        body: new Uint8Array(await b.tarGz()),
      });
      expect(r.status).toBe(200);
      return (await r.json()) as { stateReset: string[] };
    };
    const next = (c: DcmClient) =>
      new Promise<RedeployEvent>((resolve) => {
        const off = c.on("redeploy", (e) => {
          off();
          resolve(e);
        });
      });
    try {
      const c = await client();
      expect(c.where("counter-add")).toBe("client");
      expect(c.where("log-append")).toBe("server");
      await c.call("counter-add", [5n]);
      await c.call("counter-add", [37n]);
      await c.call("log-append", ["alpha"]);
      await c.call("log-append", ["βeta"]);
      const counted = await c.call("counter-get", []);
      const logged = await c.call("log-join", []);

      // v2: same state types -> both groups carry over, on both sides.
      let e = next(c);
      expect((await put(v2)).stateReset).toEqual([]);
      expect(await e).toMatchObject({ ok: true, stateReset: [], carried: [counter] });
      expect(await c.call("counter-get", [])).toEqual(counted);
      expect(await c.call("log-join", [])).toEqual(logged);

      // v3: the counter's state belongs to another group now -> it resets to what a fresh client reads.
      e = next(c);
      expect((await put(v3)).stateReset).toEqual([counter]);
      const ev = await e;
      expect(ev).toMatchObject({ ok: true, stateReset: [counter] });
      const fresh = await client();
      expect(await c.call("counter-get", [])).toEqual(await fresh.call("counter-get", []));
      expect(await c.call("counter-get", [])).not.toEqual(counted);
      expect(await c.call("log-join", [])).toEqual(logged);
    } finally {
      for (const c of clients) await c.close();
      await s.close();
    }
  }, 120_000);
});
