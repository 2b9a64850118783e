/**
 * Node-only: a server extension (createDcmServer's `extensions`, `dcm run`'s
 * RUN_EXTENSIONS) that serves what a browser needs to use the client Code
 * Distributor without a bundler, and the example page:
 *
 *   GET <prefix>/runtime/<dir>/<file>.js   compiled browser runtime (build/runtime/{abi,protocol,wasi,client})
 *   GET /  and  /<file>                    examples/web (index.html, app.js, style.css)
 *
 * Only those four runtime folders are served (never server/, node/ or
 * native/), only `.js` files from them, and only the example's own files.
 */
import { existsSync } from "node:fs";
import { readFile, realpath } from "node:fs/promises";
import { extname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyReply } from "fastify";
import type { DcmServerContext, DcmServerExtension } from "../server/create-server.js";
import { clip, sendError, withSecurityHeaders } from "../server/http-shape.js";

/** The browser-safe folders of build/runtime. */
export const BROWSER_RUNTIME_DIRS = ["abi", "protocol", "wasi", "client"] as const;

/** Files under build/runtime/client that import node: modules; never sent to browsers. */
const NODE_ONLY = new Set([
  "client/node-endpoint.js",
  "client/node-client.js",
  "client/executor-worker-node.js",
  "client/serve-web.js",
]);

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".ico": "image/x-icon",
};

export interface WebExtensionOptions {
  /** build/runtime (compiled JS). Default: found from this file, compiled or not. */
  runtimeDir?: string;
  /** The page's folder. Default: examples/web of the repository. */
  pageDir?: string;
  /** Serve the example page at `/`. Default true. */
  page?: boolean;
}

/** The repository root, whether this file runs compiled (build/runtime/client) or from source (runtime/client). */
function repoRoot(): string {
  const here = fileURLToPath(new URL(".", import.meta.url));
  const compiled = here.split(sep).slice(-4).join("/").startsWith("build/runtime/client");
  return resolve(here, compiled ? "../../.." : "../..");
}

async function inside(base: string, rel: string): Promise<string | null> {
  if (rel.includes("\0") || rel.split("/").some((p) => p === ".." || p === "" || p.startsWith("."))) return null;
  const full = resolve(base, rel);
  if (!full.startsWith(base + sep)) return null;
  try {
    const real = await realpath(full);
    const realBase = await realpath(base);
    return real.startsWith(realBase + sep) ? real : null;
  } catch {
    return null;
  }
}

/**
 * Cross-origin isolation (so that the page may use SharedArrayBuffer: the
 * worker executor's fast path): COOP/COEP on the page and on the (module)
 * worker scripts, CORP on everything the page loads. And the security
 * headers (Content-Security-Policy, nosniff, no framing, no referrer; see
 * runtime/server/http-shape.ts).
 */
function isolated(reply: FastifyReply): FastifyReply {
  return withSecurityHeaders(reply)
    .header("cross-origin-opener-policy", "same-origin")
    .header("cross-origin-embedder-policy", "require-corp")
    .header("cross-origin-resource-policy", "same-origin");
}

export function webExtension(opts: WebExtensionOptions = {}): DcmServerExtension {
  const root = repoRoot();
  const runtimeDir = resolve(opts.runtimeDir ?? join(root, "build/runtime"));
  const pageDir = resolve(opts.pageDir ?? join(root, "examples/web"));
  return (app, ctx: DcmServerContext) => {
    if (!existsSync(join(runtimeDir, "client/index.js"))) {
      throw new Error(`${runtimeDir}/client/index.js is missing: run \`npm run build\` first.`);
    }
    app.get(`${ctx.prefix}/runtime/*`, async (req, reply) => {
      const rel = (req.params as { "*": string })["*"];
      const top = rel.split("/")[0] as (typeof BROWSER_RUNTIME_DIRS)[number];
      const file =
        BROWSER_RUNTIME_DIRS.includes(top) && rel.endsWith(".js") && !NODE_ONLY.has(rel)
          ? await inside(runtimeDir, rel)
          : null;
      if (!file) return sendError(reply, 404, "DCM_HTTP_NOT_FOUND", `no runtime file ${clip(rel)}`);
      const body = await readFile(file);
      return isolated(reply).header("cache-control", "no-cache").type(TYPES[".js"]!).send(body);
    });
    if (opts.page === false) return;
    const page = async (rel: string, reply: FastifyReply) => {
      const ext = extname(rel);
      const file = TYPES[ext] ? await inside(pageDir, rel) : null;
      if (!file) return sendError(reply, 404, "DCM_HTTP_NOT_FOUND", `no file ${clip(rel)}`);
      return isolated(reply)
        .header("cache-control", "no-cache")
        .type(TYPES[ext]!)
        .send(await readFile(file));
    };
    app.get("/", (_req, reply) => page("index.html", reply));
    app.get("/:file", (req, reply) => page((req.params as { file: string }).file, reply));
  };
}
