/**
 * API keys: generation, reading from the environment, constant-time checks.
 * Only sha256 digests of the keys are kept in memory after registration.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { dcmError } from "../../diagnostics/catalog.js";

/** Keys shorter than this are refused at registration. */
export const MIN_API_KEY_LENGTH = 16;

/** Query parameters that look like credentials; their presence fails authentication. */
const CREDENTIAL_PARAMS = new Set([
  "api_key",
  "apikey",
  "api-key",
  "key",
  "access_token",
  "token",
  "authorization",
  "bearer",
]);

/** A new API key: 32 random bytes, base64url (43 characters). */
export function generateApiKey(): string {
  return randomBytes(32).toString("base64url");
}

/** The keys in `DCM_API_KEYS` (comma-separated; items trimmed; empty items and duplicates dropped). */
export function apiKeysFromEnv(env: NodeJS.ProcessEnv | Record<string, string | undefined> = process.env): string[] {
  const raw = env.DCM_API_KEYS ?? "";
  const keys = raw
    .split(",")
    .map((k) => k.trim())
    .filter((k) => k.length > 0);
  return [...new Set(keys)];
}

function digest(s: string): Buffer {
  return createHash("sha256").update(s, "utf8").digest();
}

export type AuthResult =
  | { ok: true; keyId: string }
  | { ok: false; reason: "missing" | "malformed" | "invalid" | "query" };

/** Holds the digests of the accepted keys and checks requests against them. */
export class ApiKeyRing {
  private readonly digests: Buffer[];

  constructor(keys: readonly string[]) {
    if (!Array.isArray(keys) || keys.length === 0) {
      throw dcmError(
        "DCM_API_CONFIG",
        "No API keys configured: pass `apiKeys` (e.g. apiKeysFromEnv() reading DCM_API_KEYS).",
      );
    }
    for (const [i, k] of keys.entries()) {
      if (typeof k !== "string" || k.length < MIN_API_KEY_LENGTH) {
        throw dcmError(
          "DCM_API_CONFIG",
          `API key #${i + 1} is shorter than ${MIN_API_KEY_LENGTH} characters; use generateApiKey() for a strong key.`,
        );
      }
      if (/\s|,/.test(k)) throw dcmError("DCM_API_CONFIG", `API key #${i + 1} contains whitespace or a comma.`);
    }
    this.digests = [...new Set(keys)].map(digest);
  }

  /**
   * Checks one presented key. Compares sha256 digests with timingSafeEqual
   * against every configured key (no early exit), so the time does not
   * depend on how much of a key matched or on which key matched.
   * Returns a stable, non-secret id of the matching key (for rate limiting).
   */
  match(presented: string): string | undefined {
    const d = digest(presented);
    let found = -1;
    for (let i = 0; i < this.digests.length; i++) {
      if (timingSafeEqual(d, this.digests[i]!) && found < 0) found = i;
    }
    return found < 0 ? undefined : `k${createHash("sha256").update(this.digests[found]!).digest("hex").slice(0, 16)}`;
  }

  /** Authenticates a request from its Authorization header; refuses credentials in the query string. */
  authenticate(authorization: string | undefined, query: Record<string, unknown>): AuthResult {
    for (const [name, value] of Object.entries(query)) {
      if (CREDENTIAL_PARAMS.has(name.toLowerCase())) return { ok: false, reason: "query" };
      const values = Array.isArray(value) ? value : [value];
      for (const v of values)
        if (typeof v === "string" && v.length >= MIN_API_KEY_LENGTH && this.match(v))
          return { ok: false, reason: "query" };
    }
    if (authorization === undefined || authorization === "") return { ok: false, reason: "missing" };
    const m = /^Bearer[ \t]+([^\s]+)[ \t]*$/i.exec(authorization);
    if (!m) return { ok: false, reason: "malformed" };
    const keyId = this.match(m[1]!);
    return keyId ? { ok: true, keyId } : { ok: false, reason: "invalid" };
  }
}

export const AUTH_MESSAGES: Record<Exclude<AuthResult, { ok: true }>["reason"], string> = {
  missing: "Missing API key: send the header `Authorization: Bearer <key>`.",
  malformed: "The Authorization header must have the form `Bearer <key>`.",
  invalid: "The API key is not valid.",
  query:
    "API keys are not accepted in the query string (URLs end up in logs); send `Authorization: Bearer <key>` instead.",
};
