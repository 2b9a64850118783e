/**
 * The server side of runtime-scale's idle-client test, in a process of its
 * own so that its memory is the distributor's alone: createDcmServer on
 * 127.0.0.1 with two bench-only routes,
 *
 *   POST /bench/tokens  {"n": 100}  -> {"tokens": [...]}   access tokens (distributor.issueAccessToken)
 *   GET  /bench/memory[?gc=1]       -> process.memoryUsage() (+ sessions), after a full GC with gc=1
 *
 * Prints one JSON line `{"url": ..., "pid": ...}` on stdout once it listens;
 * stops on SIGTERM or when stdin closes. Start it with `--expose-gc`.
 * Not a benchmark by itself (not in run-all).
 *
 * Run: `node --expose-gc build/bench/runtime-scale-server.js <dist> <origin>`.
 */
import { createDcmServer } from "../runtime/server/create-server.js";

const SECRET = { kid: "scale", secret: "runtime-scale-benchmark-secret-0123456789" };

async function main(): Promise<void> {
  const [dist, origin] = process.argv.slice(2);
  if (!dist || !origin) throw new Error("usage: runtime-scale-server.js <dist> <origin>");
  const app = await createDcmServer({
    dist,
    auth: { keys: [SECRET] },
    allowedOrigins: [origin],
    serveDist: false,
    extensions: [
      (a, ctx) => {
        a.post("/bench/tokens", async (req) => {
          const n = Math.min(1000, Math.max(1, Number((req.body as { n?: number } | undefined)?.n ?? 1)));
          const tokens: string[] = [];
          for (let i = 0; i < n; i++) tokens.push((await ctx.distributor.issueAccessToken()).accessToken);
          return { tokens };
        });
        a.get("/bench/memory", async (req) => {
          if ((req.query as { gc?: string }).gc === "1") {
            const gc = (globalThis as { gc?: () => void }).gc;
            if (gc) {
              gc();
              gc();
            }
          }
          return { ...process.memoryUsage(), clients: ctx.distributor.listClients().length };
        });
      },
    ],
  });
  const url = await app.listen({ port: 0, host: "127.0.0.1" });
  let closing = false;
  const stop = () => {
    if (closing) return;
    closing = true;
    void app.close().finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 5000).unref();
  };
  process.on("SIGTERM", stop);
  process.stdin.on("end", stop);
  process.stdin.on("close", stop);
  process.stdin.resume();
  process.stdout.write(`${JSON.stringify({ url, pid: process.pid })}\n`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
