/**
 * The HTTP client of the build service (`dcm submit`): upload, the event
 * stream, the record, the dist. Node's own fetch and FormData; the API key
 * goes in the Authorization header only (never the URL).
 *
 * Errors are DcmErrors: the service's own `{"error":{"code","message"}}`
 * passed through as they are (401, 413, 429, DCM_ARCHIVE_* refusals…),
 * DCM_SUBMIT_UNREACHABLE when nothing answers, DCM_SUBMIT_REFUSED for an
 * answer without that shape, DCM_SUBMIT_STREAM when the event stream cannot
 * be resumed.
 *
 * The event stream is resumed after a dropped connection with
 * `Last-Event-ID` (the last seq seen); events already seen are skipped, so a
 * server that replays from the start is fine too.
 */
import { DcmError, dcmError } from "../../../runtime/diagnostics/catalog.js";
import type { Diagnostic } from "../../../runtime/diagnostics/diagnostic-types.js";
import type { BuildEvent, BuildRecord, BuildState } from "../service-types.js";
import { readSse } from "./sse-reader.js";

export const FINAL_STATES: ReadonlySet<BuildState> = new Set(["succeeded", "failed", "cancelled"]);

export interface SubmitAnswer {
  id: string;
  state: BuildState;
  location?: string;
}

/** The CFD: its path inside the packed repository, or its text (uploaded as the `cfd` file). */
export type CfdUpload = { cfdPath: string } | { cfdText: string; name: string };

/** What the service says for a status, when its body has no advice of its own. */
const ADVICE: Record<number, string> = {
  401: "Set DCM_API_KEY to one of the keys the service was started with (its DCM_API_KEYS): `export DCM_API_KEY=<key>`.",
  403: "Set DCM_API_KEY to a key this service accepts.",
  404: "Check --server (the service's base URL, e.g. http://127.0.0.1:8090) and the build id.",
  413: "The upload is larger than the service accepts: leave generated files and data out (.gitignore), or ask the operator to raise the limit.",
  429: "Too many requests with this key: wait a moment and submit again.",
};

export class BuildServiceClient {
  private readonly base: string;

  constructor(
    server: string,
    private readonly key: string,
    /** Reconnections of the event stream before giving up (each waits longer: 100 ms, 200 ms, …). */
    private readonly retries = 6,
  ) {
    this.base = server.replace(/\/+$/, "");
  }

  private async request(method: string, path: string, init: RequestInit = {}): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, {
        ...init,
        method,
        headers: { authorization: `Bearer ${this.key}`, ...(init.headers as Record<string, string> | undefined) },
      });
    } catch (e) {
      if (init.signal?.aborted) throw e;
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      throw dcmError(
        "DCM_SUBMIT_UNREACHABLE",
        `The build service at ${this.base} cannot be reached (${cause?.code ?? cause?.message ?? (e as Error).message}).`,
        { suggestion: "Check --server and that `dcm serve` runs there (`dcm serve --port 8090`)." },
      );
    }
    if (!res.ok) throw await refusal(res, `${method} ${path}`);
    return res;
  }

  async submit(archive: Buffer, cfd: CfdUpload): Promise<SubmitAnswer> {
    const form = new FormData();
    if ("cfdPath" in cfd) form.append("cfdPath", cfd.cfdPath);
    else form.append("cfd", new Blob([cfd.cfdText], { type: "application/yaml" }), cfd.name);
    form.append("repo", new Blob([new Uint8Array(archive)], { type: "application/gzip" }), "repo.tar.gz");
    const res = await this.request("POST", "/dcm/builds", { body: form });
    const body = (await res.json()) as SubmitAnswer;
    return { id: body.id, state: body.state, location: res.headers.get("location") ?? undefined };
  }

  /** Cancels this submission (DELETE); answers once the service has stopped its share of the build. */
  async cancel(id: string): Promise<BuildRecord> {
    return (await (await this.request("DELETE", `/dcm/builds/${encodeURIComponent(id)}`)).json()) as BuildRecord;
  }

  async record(id: string): Promise<BuildRecord> {
    return (await (await this.request("GET", `/dcm/builds/${encodeURIComponent(id)}`)).json()) as BuildRecord;
  }

  async distArchive(id: string): Promise<Buffer> {
    const res = await this.request("GET", `/dcm/builds/${encodeURIComponent(id)}/dist.tar.gz`);
    return Buffer.from(await res.arrayBuffer());
  }

  /** The sha256 the service gives a dist file (its ETag), or null when it gives none. */
  async distFileSha256(id: string, file: string): Promise<string | null> {
    const path = file.split("/").map(encodeURIComponent).join("/");
    const res = await this.request("HEAD", `/dcm/builds/${encodeURIComponent(id)}/dist/${path}`);
    const etag = res.headers.get("etag");
    return etag ? etag.replace(/^W\//, "").replace(/"/g, "") : null;
  }

  /**
   * Follows the build's events until its final state (returned). `onEvent`
   * sees every event once, in seq order, also across reconnections.
   */
  async follow(
    id: string,
    onEvent: (e: BuildEvent) => void,
    signal?: AbortSignal,
  ): Promise<BuildEvent & { type: "state" }> {
    let lastSeq = 0;
    let failures = 0;
    let lastProblem = "";
    for (;;) {
      const before = lastSeq;
      try {
        const res = await this.request("GET", `/dcm/builds/${encodeURIComponent(id)}/events`, {
          headers: { accept: "text/event-stream", ...(lastSeq > 0 ? { "last-event-id": String(lastSeq) } : {}) },
          ...(signal ? { signal } : {}),
        });
        if (!res.body) throw new Error("the event stream has no body");
        for await (const m of readSse(res.body)) {
          let e: BuildEvent;
          try {
            e = JSON.parse(m.data) as BuildEvent;
          } catch {
            continue;
          }
          if (typeof e?.seq !== "number" || e.seq <= lastSeq) continue;
          lastSeq = e.seq;
          onEvent(e);
          if (e.type === "state" && FINAL_STATES.has(e.state)) return e;
        }
        lastProblem = "the stream ended before the build finished";
      } catch (e) {
        if (signal?.aborted) throw e;
        // A refusal (401, 404…) will not change by asking again; a cut connection may.
        if (e instanceof DcmError && e.code !== "DCM_SUBMIT_UNREACHABLE") throw e;
        lastProblem = e instanceof DcmError ? e.diagnostics[0]!.message : (e as Error).message;
      }
      failures = lastSeq > before ? 1 : failures + 1;
      if (failures > this.retries)
        throw dcmError(
          "DCM_SUBMIT_STREAM",
          `Lost the event stream of build ${id} (${lastProblem}); ${this.retries} reconnections did not bring it back.`,
          {
            suggestion: `The build goes on in the service: see its state with \`curl -H "Authorization: Bearer $DCM_API_KEY" ${this.base}/dcm/builds/${id}\`, or submit again (an unchanged repository is answered from the store).`,
          },
        );
      await new Promise((r) => setTimeout(r, 100 * 2 ** (failures - 1)));
    }
  }
}

/** A non-2xx answer as a DcmError: the service's code and message when it sent them. */
export async function refusal(res: Response, what: string): Promise<DcmError> {
  const text = await res.text().catch(() => "");
  type ErrorShape = { error?: { code?: unknown; message?: unknown } } | null;
  let body: ErrorShape;
  try {
    body = JSON.parse(text) as ErrorShape;
  } catch {
    body = null;
  }
  const advice = ADVICE[res.status];
  const code = body?.error?.code;
  const message = body?.error?.message;
  if (typeof code === "string" && typeof message === "string") {
    const d: Diagnostic = { code, severity: "error", message: `${message} (HTTP ${res.status})` };
    if (advice) d.suggestion = advice;
    return new DcmError(d);
  }
  return dcmError(
    "DCM_SUBMIT_REFUSED",
    `The build service answered ${what} with HTTP ${res.status}${text ? `: ${text.slice(0, 200)}` : ""}.`,
    advice ? { suggestion: advice } : {},
  );
}
