/**
 * Driving the example page (examples/web) for the parity suite in Chromium:
 * every fragment placed on one side with the page's own REST request, then
 * all cases of a placement in ONE page.evaluate loop (one round trip per
 * placement instead of one per case; ~180 cases per language). Each result
 * comes back as the line `dcm invoke` prints (canonical JSON, or
 * {"error":{"code","message"}}), plus where the client distributor ran it.
 *
 * The page, the server and Chromium are set up by
 * test/client/browser-example-helpers.ts (openExamplePage records every
 * `call` event on window.__dcmCalls).
 */
import type { Page } from "playwright-core";

/** The part of examples/web/app.js's `window` used here (plus __dcmCalls from openExamplePage). */
interface DemoWindow {
  dcmDemo: {
    client: { where(id: string): string };
    callJson(id: string, argsJson: string): Promise<{ ok: boolean; json?: string; code?: string; message?: string }>;
    moveFragment(id: string, side: string): Promise<unknown>;
  };
  __dcmCalls: Array<{ fragment: string; ranOn: string; retried: boolean }>;
}

export type Side = "client" | "server";

/** One case's outcome in the page. */
export interface PageOutcome {
  /** What `dcm invoke` would print: canonical JSON, or {"error":{"code":…,"message":…}}. */
  line: string;
  /** Where the client distributor ran it (its `call` event), null when no event came. */
  ranOn: string | null;
  retried: boolean | null;
}

/**
 * Places every fragment in `ids` on `side` with the page's "move to …"
 * request, then waits until the server's push reached the page for all.
 */
export async function placeAllInPage(page: Page, ids: string[], side: Side): Promise<void> {
  await page.evaluate(
    async ([list, s]) => {
      const w = window as unknown as DemoWindow;
      // One at a time: each move is one PUT and one pushed distribution version.
      for (const id of list) await w.dcmDemo.moveFragment(id, s);
    },
    [ids, side] as const,
  );
  await page.waitForFunction(
    ([list, s]) => list.every((id) => (window as unknown as DemoWindow).dcmDemo.client.where(id) === s),
    [ids, side] as const,
    { timeout: 15_000 },
  );
}

/**
 * Runs every case (fragment id -> raw JSON argument texts, parsed in the page
 * against the manifest signature so that 64-bit integers, bytes and maps
 * survive) sequentially in the page, in order.
 */
export async function runCasesInPage(
  page: Page,
  cases: Record<string, string[]>,
): Promise<Record<string, PageOutcome[]>> {
  const pairs = Object.entries(cases);
  const flat = await page.evaluate(async (list) => {
    const w = window as unknown as DemoWindow;
    const out: Array<{ line: string; ranOn: string | null; retried: boolean | null }> = [];
    for (const [id, argsList] of list) {
      for (const args of argsList) {
        w.__dcmCalls.length = 0;
        let line: string;
        try {
          const r = await w.dcmDemo.callJson(id, args);
          line = r.ok ? r.json! : JSON.stringify({ error: { code: r.code, message: r.message } });
        } catch (e) {
          // callJson catches the call's own errors; anything here is the page's fault.
          line = JSON.stringify({
            error: { code: "DCM_PARITY_PAGE_ERROR", message: String((e as Error)?.stack ?? e) },
          });
        }
        const recs = w.__dcmCalls.filter((x) => x.fragment === id);
        const rec = recs[recs.length - 1];
        out.push({ line, ranOn: rec?.ranOn ?? null, retried: rec?.retried ?? null });
      }
    }
    return out;
  }, pairs);
  const result: Record<string, PageOutcome[]> = {};
  let i = 0;
  for (const [id, list] of pairs) result[id] = list.map(() => flat[i++]!);
  return result;
}
