/**
 * `--redis` URLs are checked before anything connects, and a Redis that is
 * not there is a clear DCM_REDIS_UNAVAILABLE at once, not a hang.
 */
import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { DcmError } from "../../runtime/diagnostics/catalog.js";
import { connectRedis, parseRedisUrl, redactUrl } from "../../src/service/redis/redis-connection.js";

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return e instanceof DcmError ? e.code : `not a DcmError: ${e}`;
  }
  return undefined;
}

describe("Redis URLs and connections", () => {
  it("accepts redis:// and rediss:// URLs with a database number", () => {
    expect(parseRedisUrl("redis://127.0.0.1:6379").port).toBe("6379");
    expect(parseRedisUrl("rediss://user:pw@redis.example:6380/2").hostname).toBe("redis.example");
  });

  it("refuses what is not a Redis URL, saying what is wrong", () => {
    for (const bad of ["localhost:6379", "http://127.0.0.1:6379", "redis://127.0.0.1:6379/cache", "redis://"]) {
      expect(codeOf(() => parseRedisUrl(bad)), bad).toBe("DCM_REDIS_URL");
    }
    try {
      parseRedisUrl("http://127.0.0.1:6379");
    } catch (e) {
      expect((e as Error).message).toContain("redis://");
    }
  });

  it("never shows a password", () => {
    expect(redactUrl("redis://u:secret@h:1/0")).not.toContain("secret");
  });

  it("fails at once with DCM_REDIS_UNAVAILABLE when nothing listens", async () => {
    // A port that was free a moment ago.
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, "127.0.0.1", () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const err = await connectRedis(`redis://127.0.0.1:${port}`, "request").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DcmError);
    expect((err as DcmError).code).toBe("DCM_REDIS_UNAVAILABLE");
    expect((err as DcmError).message).toContain(`127.0.0.1:${port}`);
  });
});
