/**
 * Tokens of the server Code Distributor (jose).
 *
 * Access tokens: short-lived JWTs, HS256 with a `kid` header, claims `sub`
 * and `clientId`, audience `dcm`. Keys rotate: the first key of the list
 * signs, every key verifies, so replacing the list with [new, old] keeps
 * tokens in circulation (and connections, which are checked once, at
 * connect) working. A JSON Web Key Set may be given as well, to accept
 * tokens that another service signs (verify only; RS/PS/ES/EdDSA).
 *
 * Refresh tokens: opaque random strings kept in memory, single use — each
 * refresh returns a new one; presenting a spent one revokes its whole
 * family (token theft). They do not survive a restart.
 */
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTHeaderParameters, jwtVerify, SignJWT } from "jose";
import { DistributorError } from "./distributor-error.js";

export interface SigningKey {
  /** Key id, written into every token's header. */
  kid: string;
  /** At least 32 bytes. */
  secret: string | Uint8Array;
}

export interface SessionSubject {
  /** The user, as the application knows it; default: the client id. */
  subject?: string;
}

export interface AuthRequestInfo {
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

export interface AuthOptions {
  /** HS256 keys: the first signs, all verify. */
  keys?: SigningKey[];
  /** Verify-only public keys of another token issuer. */
  jwks?: JSONWebKeySet;
  /** Default 300. */
  accessTtlSeconds?: number;
  /** Default 86400 (one day). */
  refreshTtlSeconds?: number;
  /** Decides who may open a session (POST <prefix>/auth/session); null refuses. Default: anyone from an allowed origin, anonymously. */
  authenticate?: (req: AuthRequestInfo) => SessionSubject | null | Promise<SessionSubject | null>;
}

export interface AccessClaims {
  clientId: string;
  subject: string;
}

export type VerifyResult =
  | { ok: true; claims: AccessClaims }
  | { ok: false; reason: "invalid" | "expired"; message: string };

export interface IssuedAccess {
  accessToken: string;
  expiresIn: number;
  clientId: string;
}

interface RefreshRecord {
  clientId: string;
  subject: string;
  family: string;
  expiresAt: number;
}

const AUDIENCE = "dcm";
const ISSUER = "dcm";
const ASYMMETRIC = [
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA",
  "Ed25519",
];

function keyBytes(k: SigningKey): Uint8Array {
  const b = typeof k.secret === "string" ? new TextEncoder().encode(k.secret) : k.secret;
  if (!(b instanceof Uint8Array) || b.length < 32) {
    throw new DistributorError(
      "DCM_SERVER_CONFIG",
      `auth.keys: key ${JSON.stringify(k.kid)} must be at least 32 bytes long`,
    );
  }
  return b;
}

/** A key id derived from the secret, stable across restarts (used for keys given without one). */
export function kidFor(secret: string | Uint8Array): string {
  return createHash("sha256").update(secret).digest("base64url").slice(0, 12);
}

export class TokenService {
  private signing: { kid: string; key: Uint8Array } | null = null;
  private verifying = new Map<string, Uint8Array>();
  private readonly jwks: ReturnType<typeof createLocalJWKSet> | null;
  readonly accessTtl: number;
  readonly refreshTtl: number;
  private readonly refresh = new Map<string, RefreshRecord>();
  /** Spent refresh tokens (hash -> family), kept until they would have expired. */
  private readonly spent = new Map<string, { family: string; expiresAt: number }>();

  constructor(private readonly opts: AuthOptions) {
    this.accessTtl = opts.accessTtlSeconds ?? 300;
    this.refreshTtl = opts.refreshTtlSeconds ?? 86_400;
    if (!(this.accessTtl > 0) || !(this.refreshTtl > 0)) {
      throw new DistributorError("DCM_SERVER_CONFIG", "auth: accessTtlSeconds and refreshTtlSeconds must be positive");
    }
    this.jwks = opts.jwks ? createLocalJWKSet(opts.jwks) : null;
    if (!opts.keys?.length && !this.jwks) {
      throw new DistributorError("DCM_SERVER_CONFIG", "auth: give signing keys (auth.keys) or a key set (auth.jwks)");
    }
    if (opts.keys?.length) this.setKeys(opts.keys);
  }

  /** Replaces the keys: the first signs from now on, all verify. Connections already open stay open. */
  setKeys(keys: SigningKey[]): void {
    if (!Array.isArray(keys) || keys.length === 0)
      throw new DistributorError("DCM_SERVER_CONFIG", "auth.keys: give at least one key");
    const verifying = new Map<string, Uint8Array>();
    for (const k of keys) {
      if (typeof k.kid !== "string" || !k.kid)
        throw new DistributorError("DCM_SERVER_CONFIG", "auth.keys: every key needs a kid");
      if (verifying.has(k.kid))
        throw new DistributorError("DCM_SERVER_CONFIG", `auth.keys: duplicate kid ${JSON.stringify(k.kid)}`);
      verifying.set(k.kid, keyBytes(k));
    }
    const first = keys[0]!;
    this.signing = { kid: first.kid, key: verifying.get(first.kid)! };
    this.verifying = verifying;
  }

  get canIssue(): boolean {
    return this.signing !== null;
  }

  /** Signs an access token. `expiresInSeconds` may be negative (tests of expiry). */
  async issueAccess(claims: { clientId?: string; subject?: string; expiresInSeconds?: number }): Promise<IssuedAccess> {
    if (!this.signing)
      throw new DistributorError(
        "DCM_SERVER_CONFIG",
        "auth: no signing key (only a verify-only key set is configured)",
        501,
      );
    const clientId = claims.clientId ?? randomUUID();
    const ttl = claims.expiresInSeconds ?? this.accessTtl;
    const now = Math.floor(Date.now() / 1000);
    const accessToken = await new SignJWT({ clientId })
      .setProtectedHeader({ alg: "HS256", kid: this.signing.kid, typ: "JWT" })
      .setSubject(claims.subject ?? clientId)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(Math.min(now, now + ttl - 1))
      .setExpirationTime(now + ttl)
      .sign(this.signing.key);
    return { accessToken, expiresIn: ttl, clientId };
  }

  private readonly getKey = async (
    header: JWTHeaderParameters,
    token: Parameters<ReturnType<typeof createLocalJWKSet>>[1],
  ) => {
    if (header.alg === "HS256") {
      const key = header.kid === undefined ? undefined : this.verifying.get(header.kid);
      if (!key) throw new errors.JWKSNoMatchingKey();
      return key;
    }
    if (this.jwks) return this.jwks(header, token);
    throw new errors.JOSEAlgNotAllowed(`algorithm ${String(header.alg)} is not accepted`);
  };

  async verifyAccess(token: string): Promise<VerifyResult> {
    try {
      const { payload } = await jwtVerify(token, this.getKey, {
        algorithms: this.jwks ? ["HS256", ...ASYMMETRIC] : ["HS256"],
        audience: AUDIENCE,
        requiredClaims: ["exp", "sub"],
      });
      const clientId = typeof payload.clientId === "string" && payload.clientId ? payload.clientId : payload.sub;
      if (!clientId || clientId.length > 200)
        return { ok: false, reason: "invalid", message: "the token names no client" };
      return { ok: true, claims: { clientId, subject: payload.sub! } };
    } catch (e) {
      if (e instanceof errors.JWTExpired)
        return { ok: false, reason: "expired", message: "the access token has expired" };
      return { ok: false, reason: "invalid", message: `the access token does not verify (${(e as Error).message})` };
    }
  }

  private static hash(token: string): string {
    return createHash("sha256").update(token).digest("base64url");
  }

  issueRefresh(clientId: string, subject: string, family: string = randomUUID()): string {
    if (this.refresh.size % 1024 === 1023) this.sweep();
    const token = randomBytes(32).toString("base64url");
    this.refresh.set(TokenService.hash(token), {
      clientId,
      subject,
      family,
      expiresAt: Date.now() + this.refreshTtl * 1000,
    });
    return token;
  }

  /** Spends a refresh token: its session and a new refresh token of the same family, or why not. */
  rotateRefresh(
    token: string,
  ):
    | { ok: true; clientId: string; subject: string; refreshToken: string }
    | { ok: false; reason: "invalid" | "expired" } {
    this.sweep();
    const h = TokenService.hash(token);
    const rec = this.refresh.get(h);
    if (!rec) {
      const spent = this.spent.get(h);
      if (spent) this.revokeFamily(spent.family);
      return { ok: false, reason: "invalid" };
    }
    this.refresh.delete(h);
    if (rec.expiresAt <= Date.now()) return { ok: false, reason: "expired" };
    this.spent.set(h, { family: rec.family, expiresAt: rec.expiresAt });
    return {
      ok: true,
      clientId: rec.clientId,
      subject: rec.subject,
      refreshToken: this.issueRefresh(rec.clientId, rec.subject, rec.family),
    };
  }

  revokeRefresh(token: string): void {
    const rec = this.refresh.get(TokenService.hash(token));
    if (rec) this.revokeFamily(rec.family);
  }

  /** Revokes every refresh token of a client (it was forgotten: a refresh must not bring it back). */
  revokeClient(clientId: string): void {
    for (const [h, r] of this.refresh) if (r.clientId === clientId) this.refresh.delete(h);
  }

  private revokeFamily(family: string): void {
    for (const [h, r] of this.refresh) if (r.family === family) this.refresh.delete(h);
  }

  private sweep(): void {
    const now = Date.now();
    for (const [h, r] of this.refresh) if (r.expiresAt <= now) this.refresh.delete(h);
    for (const [h, r] of this.spent) if (r.expiresAt <= now) this.spent.delete(h);
  }

  authenticate(req: AuthRequestInfo): Promise<SessionSubject | null> {
    return Promise.resolve(this.opts.authenticate ? this.opts.authenticate(req) : {});
  }
}
