/**
 * The build service's HTTP contract on a real server: API keys (401, another
 * key's build is a 404), refusals before anything is queued (413, a CFD that
 * is not YAML, hostile archives with their DCM_ARCHIVE_* code and nothing
 * written outside the service's folders), artifacts (ETag, 304, ranges),
 * pages of builds, the languages, and the OpenAPI document: every route is
 * in it and the answers validate against its schemas.
 */
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { request } from "node:http";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SERVICE_ROUTES } from "../../src/service/http/build-schemas.js";
import { tarGz } from "../support/archive-builders.js";
import { ROOT } from "../support/run-cli.js";
import {
  auth,
  KEY_A,
  KEY_B,
  packTarGz,
  packZip,
  sha256,
  startService,
  submit,
  submitOk,
  type TestService,
  waitFinal,
} from "./service-helpers.js";

let scratch: string;
let svc: TestService;
let small: TestService;
let built: { id: string; key: string };
let openapi: Record<string, any>;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "dcm-service-api-"));
  svc = await startService(join(scratch, "store"));
  small = await startService(join(scratch, "small-store"), { uploadLimitBytes: 64 * 1024, rateLimit: { max: 5, timeWindowMs: 60_000 } });
  const rec = await submitOk(svc.url, KEY_A, await packTarGz(join(ROOT, "examples/go-shop")), { cfdPath: "dcm.yaml" });
  const done = await waitFinal(svc.url, KEY_A, rec.id);
  expect(done.state, JSON.stringify(done.diagnostics)).toBe("succeeded");
  built = { id: rec.id, key: rec.key };
  openapi = (await (await fetch(`${svc.url}/dcm/builds/openapi.json`)).json()) as Record<string, any>;
});

afterAll(async () => {
  await svc?.close();
  await small?.close();
  await rm(scratch, { recursive: true, force: true });
});

const get = (path: string, key: string | null = KEY_A, headers: Record<string, string> = {}) =>
  fetch(`${svc.url}${path}`, { headers: { ...(key ? auth(key) : {}), ...headers } });

describe("API keys", () => {
  it("answers 401 without a key or with a wrong one, in the project's error shape", async () => {
    for (const r of [await get(`/dcm/builds/${built.id}`, null), await get(`/dcm/builds/${built.id}`, "not-a-key-of-this-service-123")]) {
      expect(r.status).toBe(401);
      expect(r.headers.get("www-authenticate")).toMatch(/^Bearer/);
      expect(await r.json()).toMatchObject({ error: { code: "DCM_API_UNAUTHORIZED" } });
    }
    const post = await submit(svc.url, "wrong-key-0123456789abcdef", Buffer.from("x"), { cfdPath: "dcm.yaml" });
    expect(post.status).toBe(401);
  });

  it("answers 404 for an unknown id and for another key's build", async () => {
    for (const r of [await get("/dcm/builds/0123456789abcdef01234567"), await get("/dcm/builds/nonsense"), await get(`/dcm/builds/${built.id}`, KEY_B)]) {
      expect(r.status).toBe(404);
      expect(await r.json()).toMatchObject({ error: { code: "DCM_SERVICE_UNKNOWN_BUILD" } });
    }
    expect((await get(`/dcm/builds/${built.id}/dist/manifest.json`, KEY_B)).status).toBe(404);
    expect((await get(`/dcm/builds/${built.id}/events`, KEY_B)).status).toBe(404);
    const del = await fetch(`${svc.url}/dcm/builds/${built.id}`, { method: "DELETE", headers: auth(KEY_B) });
    expect(del.status).toBe(404);
  });
});

describe("rate limits", () => {
  it("limits each API key on its own, with 429 and Retry-After", async () => {
    const hit = (key: string) => fetch(`${small.url}/dcm/languages`, { headers: auth(key) });
    const a = [];
    for (let i = 0; i < 7; i++) a.push((await hit(KEY_A)).status);
    expect(a.filter((s) => s === 200).length).toBeLessThanOrEqual(5);
    const limited = await hit(KEY_A);
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(await limited.json()).toMatchObject({ error: { code: "DCM_API_RATE_LIMITED" } });
    expect((await hit(KEY_B)).status).toBe(200);
  });
});

describe("refusals before anything is queued", () => {
  const storeTmp = () => readdir(join(scratch, "store", "tmp"));

  it("answers 413 for an upload over the limit", async () => {
    const big = tarGz([{ name: "big.bin", data: randomBytes(200_000) }]);
    expect(big.length).toBeGreaterThan(64 * 1024);
    const r = await submit(small.url, KEY_B, big, { cfdPath: "dcm.yaml" });
    expect(r.status).toBe(413);
    expect(await r.json()).toMatchObject({ error: { code: "DCM_REQUEST_TOO_LARGE" } });
  });

  it("answers 400 for a CFD that is not YAML, or a cfdPath naming no file, and queues nothing", async () => {
    const repo = await packZip({ "main.go": "package main\n" });
    const before = (await (await get("/dcm/builds?limit=100")).json()).builds.length;
    for (const cfd of ["fragments: [unclosed\n  - {", "just a sentence, not a mapping", "- a\n- list\n"]) {
      const r = await submit(svc.url, KEY_A, repo, { cfd });
      expect(r.status).toBe(400);
      const body = await r.json();
      expect(body.error.code).toBe("DCM_SERVICE_CFD_NOT_YAML");
    }
    const missing = await submit(svc.url, KEY_A, repo, { cfdPath: "nope/dcm.yaml" });
    expect(missing.status).toBe(400);
    expect((await missing.json()).error.message).toContain("nope/dcm.yaml");
    const noRepo = await fetch(`${svc.url}/dcm/builds`, { method: "POST", headers: auth(KEY_A), body: (() => { const f = new FormData(); f.append("cfdPath", "dcm.yaml"); return f; })() });
    expect(noRepo.status).toBe(400);
    expect((await noRepo.json()).error.code).toBe("DCM_SERVICE_BAD_UPLOAD");
    const json = await fetch(`${svc.url}/dcm/builds`, { method: "POST", headers: { ...auth(KEY_A), "content-type": "application/json" }, body: "{}" });
    expect(json.status).toBe(400);
    expect((await (await get("/dcm/builds?limit=100")).json()).builds.length).toBe(before);
  });

  it("refuses hostile archives with their DCM_ARCHIVE_* code and writes nothing outside its folders", async () => {
    const outside = join(scratch, "outside");
    await mkdir(outside);
    await writeFile(join(outside, "sentinel"), "untouched");
    const cfd = "fragments: []\n";
    const cases: Array<[string, Buffer, number, string]> = [
      ["`..` entry", tarGz([{ name: "../outside/evil", data: "x" }]), 422, "DCM_ARCHIVE_UNSAFE_PATH"],
      ["absolute entry", tarGz([{ name: `${outside}/evil`, data: "x" }]), 422, "DCM_ARCHIVE_UNSAFE_PATH"],
      ["symlink out, then a file through it", tarGz([{ name: "link", type: "2", linkname: outside }, { name: "link/evil", data: "x" }]), 422, "DCM_ARCHIVE_SYMLINK_ESCAPE"],
      ["device file", tarGz([{ name: "dev", type: "3" }]), 422, "DCM_ARCHIVE_ENTRY_TYPE"],
      ["gzip bomb", tarGz([{ name: "zeros", data: Buffer.alloc(60 * 1024 * 1024) }]), 422, "DCM_ARCHIVE_RATIO"],
      ["not an archive", Buffer.from("plain text, neither gzip nor zip"), 400, "DCM_ARCHIVE_KIND"],
      ["truncated gzip", tarGz([{ name: "a.go", data: "package a\n".repeat(500) }]).subarray(0, 60), 400, "DCM_ARCHIVE_CORRUPT"],
    ];
    for (const [what, archive, status, code] of cases) {
      const r = await submit(svc.url, KEY_A, archive, { cfd });
      const body = await r.json();
      expect([r.status, body.error?.code], what).toEqual([status, code]);
      expect(body.error.message.length, what).toBeGreaterThan(10);
    }
    expect(await readdir(outside)).toEqual(["sentinel"]);
    expect(existsSync(join(scratch, "evil"))).toBe(false);
    expect(await storeTmp()).toEqual([]);
  });
});

describe("artifacts", () => {
  it("serves each dist file with its sha256 as ETag, immutable caching, 304 and ranges", async () => {
    const r = await get(`/dcm/builds/${built.id}/dist/client/go.wasm`);
    expect(r.status).toBe(200);
    const bytes = Buffer.from(await r.arrayBuffer());
    expect(r.headers.get("etag")).toBe(`"${sha256(bytes)}"`);
    expect(r.headers.get("cache-control")).toContain("immutable");
    expect(r.headers.get("content-type")).toBe("application/wasm");
    expect(bytes.subarray(0, 4)).toEqual(Buffer.from([0, 0x61, 0x73, 0x6d]));
    const again = await get(`/dcm/builds/${built.id}/dist/client/go.wasm`, KEY_A, { "if-none-match": r.headers.get("etag")! });
    expect(again.status).toBe(304);
    const part = await get(`/dcm/builds/${built.id}/dist/client/go.wasm`, KEY_A, { range: "bytes=100-199" });
    expect(part.status).toBe(206);
    expect(part.headers.get("content-range")).toBe(`bytes 100-199/${bytes.length}`);
    expect(Buffer.from(await part.arrayBuffer())).toEqual(bytes.subarray(100, 200));
    const tail = await get(`/dcm/builds/${built.id}/dist/client/go.wasm`, KEY_A, { range: "bytes=-10" });
    expect(Buffer.from(await tail.arrayBuffer())).toEqual(bytes.subarray(bytes.length - 10));
    const bad = await get(`/dcm/builds/${built.id}/dist/client/go.wasm`, KEY_A, { range: `bytes=${bytes.length}-` });
    expect(bad.status).toBe(416);
    expect(bad.headers.get("content-range")).toBe(`bytes */${bytes.length}`);
    expect((await bad.json()).error.code).toBe("DCM_SERVICE_RANGE");
  });

  it("serves nothing outside the dist", async () => {
    // Sent as written (fetch would resolve the dots itself).
    const raw = (path: string) =>
      new Promise<number>((resolve, reject) => {
        const u = new URL(svc.url);
        const req = request({ host: u.hostname, port: u.port, path, headers: auth(KEY_A) }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on("error", reject);
        req.end();
      });
    for (const p of ["../../../../etc/passwd", "%2e%2e/%2e%2e/state", "client/../manifest.json", "client/%2e%2e/%2e%2e/%2e%2e/state", ".dcm-store-files.json", "nope.wasm"])
      expect(await raw(`/dcm/builds/${built.id}/dist/${p}`), p).toBe(404);
    expect(await raw(`/dcm/builds/${built.id}/dist/manifest.json`)).toBe(200);
  });
});

describe("pages and languages", () => {
  it("lists this key's builds newest first, a page at a time", async () => {
    const archive = await packTarGz(join(ROOT, "examples/go-shop"));
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await submitOk(svc.url, KEY_B, archive, { cfdPath: "dcm.yaml" })).id);
    const p1 = await (await get("/dcm/builds?limit=2", KEY_B)).json();
    expect(p1.builds.map((b: { id: string }) => b.id)).toEqual([ids[2], ids[1]]);
    expect(typeof p1.next).toBe("string");
    const p2 = await (await get(`/dcm/builds?limit=2&cursor=${p1.next}`, KEY_B)).json();
    expect(p2.builds.map((b: { id: string }) => b.id)).toEqual([ids[0]]);
    expect(p2.next).toBeNull();
    const a = await (await get("/dcm/builds?limit=100", KEY_A)).json();
    expect(a.builds.some((b: { id: string }) => ids.includes(b.id))).toBe(false);
    expect(p1.builds.every((b: Record<string, unknown>) => !("owner" in b))).toBe(true);
  });

  it("names the languages and the toolchains found, with versions", async () => {
    const body = await (await get("/dcm/languages")).json();
    const go = body.languages.find((l: { id: string }) => l.id === "go");
    expect(go.toolchains[0]).toMatchObject({ name: "go", found: true });
    expect(go.toolchains[0].version).toMatch(/\d+\.\d+/);
  });
});

describe("the OpenAPI document", () => {
  it("has every route, and the answers validate against its schemas", async () => {
    expect(openapi.openapi).toBe("3.1.0");
    for (const r of SERVICE_ROUTES) {
      const path = (r.docPath ?? r.path).replace(/:([A-Za-z0-9_]+)/g, "{$1}");
      expect(openapi.paths[path]?.[r.method.toLowerCase()], `${r.method} ${path}`).toBeDefined();
    }
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(ajv);
    const components = openapi.components.schemas as Record<string, unknown>;
    const inline = (s: unknown): unknown => {
      if (Array.isArray(s)) return s.map(inline);
      if (s && typeof s === "object") {
        const ref = (s as { $ref?: string }).$ref;
        if (ref) return inline(components[ref.replace("#/components/schemas/", "")]);
        return Object.fromEntries(Object.entries(s).map(([k, v]) => [k, inline(v)]));
      }
      return s;
    };
    const check = async (path: string, method: string, r: Response) => {
      const op = openapi.paths[path][method];
      const res = op.responses[String(r.status)];
      expect(res, `${method} ${path} ${r.status} documented`).toBeDefined();
      const validate = ajv.compile(inline(res.content["application/json"].schema) as object);
      const body = await r.json();
      expect(validate(body), `${method} ${path} ${r.status}: ${JSON.stringify(validate.errors)}`).toBe(true);
    };
    await check("/dcm/builds/{id}", "get", await get(`/dcm/builds/${built.id}`));
    await check("/dcm/builds/{id}", "get", await get(`/dcm/builds/${built.id}`, null));
    await check("/dcm/builds/{id}", "get", await get("/dcm/builds/0123456789abcdef01234567"));
    await check("/dcm/builds", "get", await get("/dcm/builds?limit=2"));
    await check("/dcm/builds", "get", await get("/dcm/builds?limit=0"));
    await check("/dcm/languages", "get", await get("/dcm/languages"));
    await check("/dcm/builds/{id}", "delete", await fetch(`${svc.url}/dcm/builds/${built.id}`, { method: "DELETE", headers: auth(KEY_A) }));
    await check("/dcm/builds/{id}/dist/{file}", "get", await get(`/dcm/builds/${built.id}/dist/nope.wasm`));
    await check("/dcm/builds", "post", await submit(svc.url, KEY_A, await packTarGz(join(ROOT, "examples/go-shop")), { cfdPath: "dcm.yaml" }));
    await check("/dcm/builds", "post", await submit(svc.url, KEY_A, Buffer.from("no archive"), { cfdPath: "dcm.yaml" }));
  });
});
