/**
 * Rate limit of new sessions (POST <prefix>/auth/session) per client
 * address: a token bucket of `burst` tokens refilled at `perMinute`.
 *
 * Limitations: the address is the socket's peer (or fastify's `req.ip`,
 * which honours `trustProxy`): behind a proxy without trustProxy every
 * client shares one bucket. At most MAX_ADDRESSES buckets are kept; past
 * that the fullest (least recently used) ones are forgotten, which only
 * ever gives an address a fresh bucket.
 */

export interface SessionRateLimit {
  /** Sessions an address may open at once. */
  burst: number;
  /** Sessions per minute an address regains. */
  perMinute: number;
}

const MAX_ADDRESSES = 100_000;

interface Bucket {
  tokens: number;
  at: number;
}

export class SessionRateLimiter {
  /** Least recently used first. */
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly limit: SessionRateLimit,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Takes a token for `address`: 0 when allowed, else the seconds until one is available. */
  take(address: string): number {
    const now = this.now();
    const perMs = this.limit.perMinute / 60_000;
    const b = this.buckets.get(address) ?? { tokens: this.limit.burst, at: now };
    b.tokens = Math.min(this.limit.burst, b.tokens + (now - b.at) * perMs);
    b.at = now;
    this.buckets.delete(address);
    this.buckets.set(address, b);
    if (this.buckets.size > MAX_ADDRESSES) this.buckets.delete(this.buckets.keys().next().value!);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / perMs / 1000));
  }
}
