/**
 * Plain server-sent events of one build on reply.raw: the stored events
 * after `afterSeq` first (all of them for a new subscriber), then live ones
 * as they are appended, in order and each once; a comment line every
 * `heartbeatMs` so that proxies keep the connection; the stream ends after
 * the final `state` event (succeeded, failed, cancelled).
 */
import type { FastifyReply } from "fastify";
import type { BuildEvent, BuildStateStore } from "../service-types.js";

const FINAL = new Set(["succeeded", "failed", "cancelled"]);

export const isFinal = (e: BuildEvent): boolean => e.type === "state" && FINAL.has(e.state);

export async function streamEvents(
  reply: FastifyReply,
  state: BuildStateStore,
  id: string,
  afterSeq: number,
  heartbeatMs: number,
): Promise<void> {
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache, no-transform",
    connection: "keep-alive",
    "x-accel-buffering": "no",
    "x-content-type-options": "nosniff",
  });
  raw.write(": dcm build events\n\n");
  let lastSent = afterSeq;
  let ended = false;
  let replaying = true;
  const pending: BuildEvent[] = [];
  let heartbeat: NodeJS.Timeout | undefined;
  let unsubscribe: (() => Promise<void>) | undefined;
  const end = () => {
    if (ended) return;
    ended = true;
    if (heartbeat) clearInterval(heartbeat);
    void unsubscribe?.();
    raw.end();
  };
  const send = (e: BuildEvent) => {
    if (ended || e.seq <= lastSent) return;
    raw.write(`id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
    lastSent = e.seq;
    if (isFinal(e)) end();
  };
  raw.on("close", end);
  unsubscribe = await state.subscribe(id, (e) => (replaying ? pending.push(e) : send(e)));
  if (ended) {
    await unsubscribe();
    return;
  }
  const history = await state.events(id, afterSeq);
  for (const e of history) send(e);
  replaying = false;
  for (const e of pending.sort((a, b) => a.seq - b.seq)) send(e);
  if (ended) return;
  // Resumed after the final event (or the build ended with nothing left to send): nothing more will come.
  const record = await state.get(id);
  if (record && FINAL.has(record.state)) {
    const rest = await state.events(id, lastSent);
    for (const e of rest) send(e);
    if (!ended && !rest.length) {
      const all = await state.events(id, 0);
      if (all.length === 0 || all[all.length - 1]!.seq <= lastSent) end();
    }
  }
  if (!ended) heartbeat = setInterval(() => raw.write(": heartbeat\n\n"), heartbeatMs);
}
