/**
 * Mixed repositories (issue 4, part 5): examples/polyglot has Go, Rust,
 * AssemblyScript and TypeScript fragments in one CFD. One `dcm build` makes
 * one dist; the server started the way `dcm run` starts it serves all four
 * languages, and the example page in real Chromium lists every fragment with
 * its language and runs each placed on the client and on the server. The four
 * Fibonacci functions, one per language, agree with each other and with the
 * value computed here in BigInt arithmetic.
 *
 * Skipped (with a message) only when /usr/bin/chromium is missing.
 */
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Manifest } from "../../runtime/abi/manifest-types.js";
import { ROOT, runCli } from "../support/run-cli.js";
import {
  CHROMIUM,
  callInPage,
  haveChromium,
  launchChromium,
  openExamplePage,
  placeInPage,
  startWebServer,
  type WebServer,
} from "./browser-example-helpers.js";

if (!haveChromium) {
  console.warn(`test/client/browser-polyglot.spec.ts: SKIPPED — ${CHROMIUM} is missing (bash scripts/install-browser.sh).`);
}

const EXAMPLE = join(ROOT, "examples/polyglot");
const SIDES = ["client", "server"] as const;

/** Fibonacci(n) wrapping at 2^64, in BigInt: what every fib-* fragment must return. */
function fib(n: number): bigint {
  let [a, b] = [0n, 1n];
  for (let i = 0; i < n; i++) [a, b] = [b, BigInt.asUintN(64, a + b)];
  return a;
}

/** One case per fragment, with the value it must return (computed here, independently of dcm). */
const CASES: Record<string, { args: string; want: string }> = {
  "apply-tax": { args: "[1000, 190]", want: "1190" },
  "format-cents": { args: "[-12345]", want: '"-€123.45"' },
  distance: { args: '[{"x": 0, "y": 0}, {"x": 3, "y": 4}]', want: "5" },
  fnv1a: { args: `["${Buffer.from("hello").toString("base64")}"]`, want: "11831194018420276491" },
  "word-count": { args: '["hello  wide world 🌍"]', want: "4" },
  "is-prime": { args: "[97]", want: "true" },
  "nth-prime": { args: "[1000]", want: "7919" },
  mean: { args: "[[1, 2, 3.5]]", want: String((1 + 2 + 3.5) / 3) },
  slugify: { args: '["Héllo, Wörld!  Ünïcode"]', want: '"héllo-wörld-ünïcode"' },
  "cart-total": { args: '[[{"name": "a", "cents": 250, "quantity": 3}, {"name": "b", "cents": 1999, "quantity": 1}]]', want: "2749" },
};
for (const lang of ["go", "rust", "as", "ts"]) {
  for (const n of [0, 1, 93, 100]) CASES[`fib-${lang}#${n}`] = { args: `[${n}]`, want: String(fib(n)) };
}

let scratch: string;
let manifest: Manifest;
let server: WebServer;
let browser: Browser;
let ctx: BrowserContext;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  if (!haveChromium) return;
  if (!existsSync(join(ROOT, "build/runtime/client/index.js")))
    throw new Error("build/runtime/client is missing: run `npm run build` first");
  scratch = await mkdtemp(join(tmpdir(), "dcm-browser-polyglot-"));
  const dist = join(scratch, "dist");
  const r = await runCli(["build", EXAMPLE, "--cfd", join(EXAMPLE, "dcm.yaml"), "--out", dist, "--json"]);
  if (r.code !== 0) throw new Error(`dcm build failed (${r.code}): ${r.stderr}\n${r.stdout}`);
  manifest = JSON.parse(await readFile(join(dist, "manifest.json"), "utf8")) as Manifest;
  server = await startWebServer(dist);
  browser = await launchChromium(scratch);
  ctx = await browser.newContext();
  ctx.on("console", (m) => {
    if (m.type() === "error") pageErrors.push(`console.error: ${m.text()} (${m.location().url})`);
  });
  page = await openExamplePage(ctx, server.base, pageErrors);
}, 180_000);

afterAll(async () => {
  await ctx?.close().catch(() => {});
  await browser?.close().catch(() => {});
  await server?.close().catch(() => {});
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe.skipIf(!haveChromium)("examples/polyglot: four languages in one dist, one server, one page", () => {
  it("builds one dist holding a client module per language, native plugins for Go and Rust, and TypeScript's glue", () => {
    const files = manifest.modules.map((m) => m.file).sort();
    expect(files).toEqual([
      "client/assemblyscript.wasm",
      "client/go.wasm",
      "client/rust.wasm",
      "client/typescript.js",
      "server/go.so",
      "server/rust.so",
    ]);
    expect(manifest.modules.find((m) => m.language === "typescript")?.glue?.file).toBe("client/typescript-glue.mjs");
    expect(new Set(manifest.fragments.map((f) => f.language))).toEqual(new Set(["go", "rust", "assemblyscript", "typescript"]));
  });

  it("lists every fragment on the page with its language", async () => {
    const rows = await page.$$eval("#fragments tbody tr", (trs) =>
      trs.map((tr) => ({ id: tr.id.replace(/^row-/, ""), hint: tr.querySelector(".hint")?.textContent ?? "" })),
    );
    const want = manifest.fragments.filter((f) => f.signature).map((f) => ({ id: f.id, hint: `${f.symbol} · ${f.language}` }));
    expect(rows.sort((a, b) => a.id.localeCompare(b.id))).toEqual(want.sort((a, b) => a.id.localeCompare(b.id)));
    expect(Object.keys(CASES).map((k) => k.split("#")[0]).sort()).toEqual(
      expect.arrayContaining(want.map((w) => w.id).sort()),
    );
  });

  it.each(SIDES)("every fragment placed on the %s returns the expected value, run there", async (side) => {
    const got: Record<string, string> = {};
    for (const [key, c] of Object.entries(CASES)) {
      const id = key.split("#")[0]!;
      await placeInPage(page, id, side);
      const r = await callInPage(page, id, c.args);
      expect({ ranOn: r.ranOn, retried: r.retried }, `${key} placed on the ${side}`).toEqual({ ranOn: side, retried: false });
      got[key] = r.ok ? r.json! : `${r.code}: ${r.message}`;
    }
    const want = Object.fromEntries(Object.entries(CASES).map(([k, c]) => [k, c.want]));
    expect(got).toEqual(want);
    expect(pageErrors).toEqual([]);
  });
});
