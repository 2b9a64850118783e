/**
 * Cross-language parity through the runtime in Chromium (see README.md):
 * for every registered language (harness/languages.ts), its parity dist is served
 * the way `dcm run` serves it (API Controller + web extension) and opened in
 * the example page (examples/web) in real Chromium (Debian's
 * /usr/bin/chromium, driven by playwright-core). Every case of every callable
 * fragment then runs twice through the page's client distributor:
 *  - placed on the client: the language's portable module in the browser
 *    (WASM, or a `js` module loaded through the glue the dist carries),
 *    in the page's worker executor;
 *  - placed on the server: over the WebSocket, in the server's default
 *    target for the language (its first server target: native, wasm or js).
 * Each call must run where it was placed (first time, no retry), and its
 * result must equal what the function returns natively, compared exactly
 * as parity.spec.ts compares `dcm invoke` (harness/compare.ts, with the
 * per-language case overrides). No page errors may be logged. What
 * `print-lines` prints shows in the page's console, prefixed with the
 * fragment id, when it runs in the browser, and never when it runs on the
 * server (its output stays in the server's log).
 *
 * One Chromium for all languages, a fresh server and page per language; the
 * cases of one placement run in one page.evaluate loop.
 *
 * The page loads build/runtime/client/*.js: `npx tsc -p tsconfig.json` first.
 * Skipped (with a message) only when /usr/bin/chromium is missing:
 * `bash scripts/install-browser.sh` installs it.
 */
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Manifest } from "../../runtime/abi/manifest-types.js";
import {
  CHROMIUM,
  haveChromium,
  launchChromium,
  openExamplePage,
  startWebServer,
  type WebServer,
} from "../client/browser-example-helpers.js";
import { ROOT, runCli } from "../support/run-cli.js";
import { type PageOutcome, placeAllInPage, runCasesInPage, type Side } from "./harness/browser-page.js";
import { casesFor, fragmentsFor } from "./harness/cases.js";
import { errorCode, sameOutcome } from "./harness/compare.js";
import { PARITY_LANGUAGES } from "./harness/languages.js";
import { nativeResults, type Results } from "./harness/natives.js";

if (!haveChromium) {
  console.warn(
    `test/parity/browser-parity.spec.ts: SKIPPED — ${CHROMIUM} is missing. Install it with \`bash scripts/install-browser.sh\`.`,
  );
}

const SIDES: Side[] = ["client", "server"];

let scratch: string;
let browser: Browser | undefined;
/** For the summary line: per language, cases per placement and milliseconds per placement. */
const summary: string[] = [];

beforeAll(async () => {
  if (!haveChromium) return;
  if (!existsSync(join(ROOT, "build/runtime/client/index.js")))
    throw new Error("build/runtime/client is missing: run `npx tsc -p tsconfig.json` first");
  scratch = await mkdtemp(join(tmpdir(), "dcm-browser-parity-"));
  browser = await launchChromium(scratch);
});

afterAll(async () => {
  if (summary.length > 0) console.log(`parity in Chromium ${browser?.version()}:\n  ${summary.join("\n  ")}`);
  await browser?.close().catch(() => {});
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

for (const { id: lang, repo, problem } of PARITY_LANGUAGES) {
  describe.skipIf(!haveChromium)(`${lang}: every placement in Chromium equals ${lang} run natively`, () => {
    if (problem) {
      it("brings its parity fixtures", () => {
        throw new Error(problem);
      });
      return;
    }
    const cases = casesFor(lang);
    const raw = Object.fromEntries(Object.entries(cases).map(([id, list]) => [id, list.map((c) => c.args)]));
    const total = Object.values(raw).reduce((n, l) => n + l.length, 0);
    let tmp: string;
    let manifest: Manifest;
    let server: WebServer;
    let ctx: BrowserContext;
    let page: Page;
    let ref: Results;
    const pageErrors: string[] = [];
    const times: string[] = [];
    /** Lines of fragment output the page showed in its console: [console type, line]. */
    let fragmentConsole: Array<[string, string]> = [];

    beforeAll(async () => {
      tmp = await mkdtemp(join(scratch, `${lang}-`));
      const dist = join(tmp, "dist");
      const [build, native] = await Promise.all([
        runCli(["build", repo, "--cfd", join(repo, "dcm.yaml"), "--out", dist, "--json"]),
        nativeResults(lang),
      ]);
      if (build.code !== 0 || !build.stdout.includes('"ok": true'))
        throw new Error(`dcm build ${repo} failed (${build.code}):\n${build.stdout}${build.stderr}`);
      ref = native;
      manifest = JSON.parse(await readFile(join(dist, "manifest.json"), "utf8")) as Manifest;
      server = await startWebServer(dist);
      ctx = await browser!.newContext();
      // Errors the page or its workers log (console.error, failed loads) count too, not only uncaught ones.
      ctx.on("console", (m) => {
        if (m.type() === "error")
          pageErrors.push(`console.error: ${m.text()} (${m.location().url})`);
        if (m.text().startsWith("[fragment "))
          for (const line of m.text().split("\n")) fragmentConsole.push([m.type(), line]);
      });
      page = await openExamplePage(ctx, server.base, pageErrors);
    });

    afterAll(async () => {
      if (times.length > 0)
        summary.push(`${lang}: ${Object.keys(raw).length} fragments, ${total} cases × ${times.join(", ")}`);
      await ctx?.close().catch(() => {});
      await server?.close().catch(() => {});
    });

    it("serves every parity fragment as callable, each in a client module the page loaded", async () => {
      const callable = manifest.fragments.filter((f) => f.signature).map((f) => f.id);
      expect([...callable].sort()).toEqual(fragmentsFor(lang).sort());
      const rows = await page.$$eval("#fragments tbody tr", (trs) => trs.map((tr) => tr.id.replace(/^row-/, "")));
      expect(rows.sort()).toEqual([...callable].sort());
      const clientModules = manifest.modules.filter((m) => m.sides.includes("client") && m.target !== "native");
      expect(clientModules.flatMap((m) => m.fragments).sort()).toEqual([...callable].sort());
      // WASM loads with the runtime's own loader; anything else (typescript's `js`) only through the glue it carries.
      for (const m of clientModules)
        expect(m.target === "wasm" || m.glue !== undefined, `${m.file} has no glue`).toBe(true);
      // The page's default executor: client-placed calls run in Web Workers.
      expect(await page.textContent("#executor")).toMatch(/^worker/);
    });

    it.each(SIDES)("every case placed on the %s", async (side) => {
      const t0 = performance.now();
      await placeAllInPage(page, Object.keys(raw), side);
      fragmentConsole = [];
      const got = await runCasesInPage(page, raw);
      const codes: Record<string, number> = {};
      for (const o of Object.values(got).flat()) {
        const code = errorCode(o.line);
        if (code) codes[code] = (codes[code] ?? 0) + 1;
      }
      times.push(`${side} in ${((performance.now() - t0) / 1000).toFixed(1)} s (errors: ${JSON.stringify(codes)})`);
      const misplaced: string[] = [];
      const mismatches: string[] = [];
      for (const [id, list] of Object.entries(cases)) {
        list.forEach((c, k) => {
          const g: PageOutcome = got[id]![k]!;
          const w = ref[id]![k]!;
          // Ran where placed, first time (a retry on the other side would hide a failure).
          if (g.ranOn !== side || g.retried !== false)
            misplaced.push(`${id} case #${c.index} ${c.args}: ranOn ${g.ranOn}, retried ${g.retried}`);
          if (!sameOutcome(id, g.line, w))
            mismatches.push(
              `${id} case #${c.index} ${c.args} placed on the ${side}:\n    got    ${g.line}\n    native ${w}`,
            );
        });
      }
      expect(misplaced, `${misplaced.length} call(s) did not run on the ${side}:\n${misplaced.join("\n")}`).toEqual([]);
      expect(mismatches, `${mismatches.length} mismatch(es):\n${mismatches.join("\n")}`).toEqual([]);
      expect(pageErrors, "errors the page logged or threw").toEqual([]);
      // Console messages arrive asynchronously: give the last ones a moment.
      await page.evaluate(() => new Promise((r) => setTimeout(r, 50)));
      const printed = fragmentConsole.filter(([, l]) => l.startsWith("[fragment print-lines] "));
      if (side === "server" || !cases["print-lines"]) {
        expect(printed, "output of a fragment run on the server shows in the page").toEqual([]);
        return;
      }
      expect(printed.slice(0, 4)).toEqual([
        ["log", "[fragment print-lines] hello"],
        ["warning", "[fragment print-lines] printed 1"],
        ["warning", "[fragment print-lines] printed 0"],
        ["log", "[fragment print-lines] ünï 👋"],
      ]);
      expect(printed).toContainEqual([
        "warning",
        "[fragment print-lines] … 19477 bytes of output dropped (the limit is 65536 bytes per call)",
      ]);
      expect(fragmentConsole.filter(([, l]) => !l.startsWith("[fragment print-lines] "))).toEqual([]);
    });

    it("has a native reference that read every argument (no DCM_BAD_ARGUMENTS)", () => {
      // parity.spec.ts once let Rust stand in where runGoNative could not read NaN/±Infinity; it reads them now.
      const unread = Object.entries(cases).flatMap(([id, list]) =>
        list.flatMap((c, k) =>
          errorCode(ref[id]![k]!) === "DCM_BAD_ARGUMENTS" ? [`${id} case #${c.index} ${c.args}`] : [],
        ),
      );
      expect(unread).toEqual([]);
    });
  });
}
