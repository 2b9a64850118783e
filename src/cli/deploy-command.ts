/**
 * `dcm deploy <dist> --to <url> [--api-key <key>] [--json]`: a live redeploy
 * of a running `dcm run` (or any server with the API Controller): checks the
 * dist here first (manifest, every module's sha256, as the server will),
 * packs it reproducibly (src/service/client/pack-repo.ts: same folder, same
 * bytes), PUTs it to `<url><prefix>/api/dist` and prints what changed.
 *
 * `--to` is the server's URL; its path, when there is one, is the dcm prefix
 * (default `/dcm`): `--to http://127.0.0.1:8080` deploys to
 * `http://127.0.0.1:8080/dcm/api/dist`. The API key comes from `--api-key`
 * or DCM_API_KEY and travels in the Authorization header, never in the URL.
 *
 * Exit codes: 0 deployed, 1 refused or unreachable (diagnostics on stderr,
 * or `{"ok":false,…}` with --json), 2 usage error.
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { CATALOG, DcmError, dcmError, diag, type ErrorCode, formatDiagnostic } from "../../runtime/diagnostics/catalog.js";
import { DistFileError, readDistFile } from "../../runtime/node/dist-files.js";
import { readManifest } from "../../runtime/node/load-dist.js";
import type { DeployResult } from "../../runtime/server/deploy/deploy-types.js";
import { packRepo } from "../service/client/pack-repo.js";

export const DEPLOY_USAGE = `dcm deploy <dist> --to <url> [--api-key <key>] [--json]
  Deploys a new build to a running server without a restart: connected clients switch between calls.
  --to: the server's URL (its path is the dcm prefix, default /dcm), e.g. http://127.0.0.1:8080.
  The API key comes from --api-key or DCM_API_KEY (one of the server's DCM_API_KEYS).`;

export interface DeployIo {
  out: (s: string) => void;
  err: (s: string) => void;
}

class DeployUsage extends Error {}

const OPTIONS = { to: { type: "string" }, "api-key": { type: "string" }, json: { type: "boolean" } } as const;

function parse(args: string[]) {
  let parsed: ReturnType<typeof parseArgs<{ args: string[]; options: typeof OPTIONS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    throw new DeployUsage((e as Error).message);
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1) throw new DeployUsage(`Expected 1 positional argument (the dist folder), got ${positionals.length}.`);
  if (!values.to) throw new DeployUsage("`dcm deploy` needs --to <url> (the running server, e.g. http://127.0.0.1:8080).");
  let url: URL;
  try {
    url = new URL(values.to);
  } catch {
    throw new DeployUsage(`--to must be a URL such as http://127.0.0.1:8080, got \`${values.to}\`.`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new DeployUsage(`--to must be an http: or https: URL, got \`${url.protocol}\`.`);
  if (url.username || url.password || url.search)
    throw new DeployUsage("--to must not carry credentials or a query: pass the key with --api-key or DCM_API_KEY.");
  const prefix = url.pathname === "/" ? "/dcm" : url.pathname.replace(/\/+$/, "");
  return {
    dist: positionals[0]!,
    endpoint: `${url.origin}${prefix}/api/dist`,
    key: values["api-key"],
    json: Boolean(values.json),
  };
}

/** The dist is checked here as the server will check it, so that a broken one is never uploaded. */
async function checkDist(dir: string): Promise<void> {
  const manifest = await readManifest(dir).catch((e: Error & { code?: string }) => {
    throw dcmError("DCM_DEPLOY_NOT_A_DIST", `${dir} is not a dist: ${e.message}`);
  });
  for (const m of manifest.modules) {
    for (const [file, sha] of [[m.file, m.sha256], ...(m.glue ? [[m.glue.file, m.glue.sha256]] : [])] as Array<[string, string]>) {
      await readDistFile(dir, file, sha, "module").catch((e) => {
        if (e instanceof DistFileError) throw dcmError(e.code as ErrorCode, `${e.message} Nothing was uploaded.`);
        throw e;
      });
    }
  }
}

async function deploy(args: string[], io: DeployIo, env: NodeJS.ProcessEnv): Promise<number> {
  const opts = parse(args);
  const key = (opts.key ?? env.DCM_API_KEY)?.trim();
  if (!key) throw dcmError("DCM_DEPLOY_NO_KEY", "No API key: pass --api-key <key> or set DCM_API_KEY.");
  const dir = resolve(opts.dist);
  await checkDist(dir);
  const packed = await packRepo(dir);
  let res: Response;
  try {
    res = await fetch(opts.endpoint, {
      method: "PUT",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/gzip" },
      body: new Uint8Array(packed.data),
    });
  } catch (e) {
    const cause = (e as Error & { cause?: { code?: string; message?: string } }).cause;
    throw dcmError("DCM_DEPLOY_UNREACHABLE", `PUT ${opts.endpoint} failed: ${cause?.code ?? cause?.message ?? (e as Error).message}.`);
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (!res.ok) {
    const err = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
    if (!err?.code)
      throw dcmError("DCM_DEPLOY_UNREACHABLE", `PUT ${opts.endpoint}: HTTP ${res.status} without a dcm error (${text.slice(0, 200)}): is this a dcm server?`);
    const code = (err.code in CATALOG ? err.code : "DCM_DEPLOY_REFUSED") as ErrorCode;
    throw dcmError(code, `The server refused the deploy (HTTP ${res.status}): ${err.message ?? ""} The running dist is unchanged.`);
  }
  const r = body as DeployResult;
  if (!r || typeof r.id !== "string")
    throw dcmError("DCM_DEPLOY_UNREACHABLE", `PUT ${opts.endpoint}: the answer is not a deploy result: ${text.slice(0, 200)}`);
  if (opts.json) io.out(`${JSON.stringify({ ok: true, ...r })}\n`);
  else {
    const lines = [
      r.id === r.previous ? `deployed ${r.id} again (unchanged build)` : `deployed ${r.id} (was ${r.previous})`,
      `  ${r.clients} connected client${r.clients === 1 ? "" : "s"} switching between calls`,
    ];
    if (r.added.length) lines.push(`  added: ${r.added.join(", ")}`);
    if (r.removed.length) lines.push(`  removed: ${r.removed.join(", ")}`);
    lines.push(`  state reset: ${r.stateReset.length ? r.stateReset.join(", ") : "none (state carries over)"}`);
    io.out(`${lines.join("\n")}\n`);
  }
  return 0;
}

export async function cmdDeploy(args: string[], io: DeployIo, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    io.out(`${DEPLOY_USAGE}\n`);
    return 0;
  }
  const json = args.includes("--json");
  try {
    return await deploy(args, io, env);
  } catch (e) {
    if (e instanceof DeployUsage) {
      io.err(`${formatDiagnostic(diag("DCM_CLI_USAGE", e.message, { suggestion: "Run `dcm deploy --help`." }))}\n\n${DEPLOY_USAGE}\n`);
      return 2;
    }
    if (!(e instanceof DcmError)) throw e;
    if (json) io.out(`${JSON.stringify({ ok: false, diagnostics: e.diagnostics })}\n`);
    else for (const d of e.diagnostics) io.err(`${formatDiagnostic(d)}\n`);
    return 1;
  }
}
