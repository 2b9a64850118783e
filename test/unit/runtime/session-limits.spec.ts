import { describe, expect, it } from "vitest";
import { SessionRateLimiter } from "../../../runtime/server/session-limits.js";

describe("SessionRateLimiter (token bucket per address)", () => {
  it("allows the burst, then one session per refill interval, and says how long to wait", () => {
    let now = 0;
    const limiter = new SessionRateLimiter({ burst: 3, perMinute: 6 }, () => now);
    expect([limiter.take("a"), limiter.take("a"), limiter.take("a")]).toEqual([0, 0, 0]);
    // Empty: one token comes back every 10 s.
    expect(limiter.take("a")).toBe(10);
    now += 4_000;
    expect(limiter.take("a")).toBe(6);
    now += 6_000;
    expect(limiter.take("a")).toBe(0);
    expect(limiter.take("a")).toBe(10);
    // Another address has its own bucket.
    expect(limiter.take("b")).toBe(0);
    // A long pause refills at most to the burst.
    now += 3_600_000;
    expect([limiter.take("a"), limiter.take("a"), limiter.take("a"), limiter.take("a") > 0]).toEqual([0, 0, 0, true]);
  });
});
