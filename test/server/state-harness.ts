/**
 * Shared by the state tests and benches: a real server on loopback for a
 * dist (API mounted), Node clients of that dist, and the placement API.
 */
import type { JsValue } from "../../runtime/abi/js-values.js";
import type { Side } from "../../runtime/abi/manifest-types.js";
import type { DcmClient } from "../../runtime/client/client-distributor.js";
import { createClient } from "../../runtime/client/node-client.js";
import type { DcmServerOptions } from "../../runtime/server/create-server.js";
import { API_KEY, type RunningServer, startServer, wsWithOrigin } from "../client/server-harness.js";

export interface StateRig {
  server: RunningServer;
  clients: DcmClient[];
  client(clientId?: string, extra?: Record<string, unknown>): Promise<DcmClient>;
  /** PUT <prefix>/api/clients/{id}/fragments/{fragment} {runOn}: status and body. */
  place(clientId: string, fragment: string, runOn: Side): Promise<{ status: number; body: Record<string, unknown> }>;
  /** POST <prefix>/api/distribution. */
  placeMany(changes: Array<{ clientId: string; fragmentId: string; runOn: Side }>): Promise<{ status: number; body: Record<string, unknown> }>;
  close(): Promise<void>;
}

export async function startStateRig(dist: string, opts: Partial<DcmServerOptions> = {}): Promise<StateRig> {
  const server = await startServer(dist, 0, opts);
  const clients: DcmClient[] = [];
  const api = async (method: string, path: string, body: unknown) => {
    const res = await fetch(`${server.url}${server.app.dcm.prefix}/api${path}`, {
      method,
      headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  return {
    server,
    clients,
    async client(clientId, extra = {}) {
      const c = await createClient({
        url: server.wsUrl,
        getToken: async () =>
          (await server.app.dcm.distributor.issueAccessToken(clientId ? { clientId } : {})).accessToken,
        dist,
        executor: "in-thread",
        WebSocket: wsWithOrigin(),
        heartbeatMs: 0,
        reportStats: false,
        onOutput: () => {},
        ...extra,
      });
      clients.push(c);
      await c.whenConnected(10_000);
      return c;
    },
    place: (clientId, fragment, runOn) =>
      api("PUT", `/clients/${encodeURIComponent(clientId)}/fragments/${encodeURIComponent(fragment)}`, { runOn }),
    placeMany: (changes) => api("POST", "/distribution", { changes }),
    async close() {
      await Promise.all(clients.map((c) => c.close()));
      await server.close();
    },
  };
}

/** Normalises a call result for comparisons (bytes as arrays, bigints as strings). */
export function plain(v: JsValue): unknown {
  if (typeof v === "bigint") return `${v}n`;
  if (v instanceof Uint8Array) return [...v];
  if (Array.isArray(v)) return v.map(plain);
  return v;
}
