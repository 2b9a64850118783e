/**
 * The auth routes, independent of the HTTP framework (fastify and plain
 * node:http both map onto handleAuthHttp):
 *
 *   POST <prefix>/auth/session   a new client: access token in the body, refresh cookie
 *   POST <prefix>/auth/refresh   spends the refresh cookie: new access token, new cookie
 *   POST <prefix>/auth/logout    revokes the refresh cookie's family, clears it
 *
 * The refresh token travels only in an HttpOnly, Secure, SameSite=Strict
 * cookie scoped to <prefix>/auth. Requests from an origin outside the
 * allowlist are refused (403); allowed origins get CORS headers with
 * credentials, and preflights (OPTIONS) are answered.
 *
 * New sessions are rate limited per address (429 with Retry-After), and
 * anonymous ones (the application's `authenticate` named no subject) are
 * capped: at the cap the anonymous client idle the longest is forgotten;
 * when every one is connected, 503 with Retry-After.
 */
import type { TokenService } from "./auth.js";
import { type CookieOptions, parseCookies, serializeCookie } from "./cookies.js";

export const REFRESH_COOKIE = "dcm_refresh";

export interface HttpAuthRequest {
  method: string;
  /** The path without the query string. */
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  /** The client's address (the rate limit's key). */
  address?: string;
}

export interface HttpAuthResponse {
  status: number;
  headers: Record<string, string | string[]>;
  body?: unknown;
}

export interface AuthHttpContext {
  prefix: string;
  tokens: TokenService;
  originAllowed(origin: string | undefined): boolean;
  /** Called for every session or refresh, so that the client registry knows the client's subject. */
  onSession?(clientId: string, subject: string, anonymous: boolean): void;
  /** Takes a session from the address's budget: 0, or the seconds to wait. */
  rateLimit?(address: string | undefined): number;
  /** Makes room for a new anonymous client; false when there is none to make. */
  admitAnonymous?(): boolean;
}

/** Seconds a client is told to wait when the server has no room for an anonymous client. */
const BUSY_RETRY_SECONDS = 30;

const ROUTES = ["session", "refresh", "logout"] as const;
type Route = (typeof ROUTES)[number];

function header(h: HttpAuthRequest["headers"], name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

function errorBody(code: string, message: string) {
  return { error: { code, message } };
}

/** The auth route a path names, or null. */
export function authRoute(prefix: string, path: string): Route | null {
  const base = `${prefix}/auth/`;
  if (!path.startsWith(base)) return null;
  const rest = path.slice(base.length);
  return (ROUTES as readonly string[]).includes(rest) ? (rest as Route) : null;
}

export async function handleAuthHttp(ctx: AuthHttpContext, req: HttpAuthRequest): Promise<HttpAuthResponse | null> {
  const route = authRoute(ctx.prefix, req.path);
  if (!route) return null;
  const origin = header(req.headers, "origin");
  const headers: Record<string, string | string[]> = { "cache-control": "no-store", vary: "Origin" };
  if (!ctx.originAllowed(origin)) {
    return {
      status: 403,
      headers,
      body: errorBody("DCM_ORIGIN_FORBIDDEN", `origin ${origin ?? "(none)"} is not allowed`),
    };
  }
  if (origin) {
    headers["access-control-allow-origin"] = origin;
    headers["access-control-allow-credentials"] = "true";
  }
  if (req.method === "OPTIONS") {
    headers["access-control-allow-methods"] = "POST";
    headers["access-control-allow-headers"] = "content-type";
    headers["access-control-max-age"] = "600";
    return { status: 204, headers };
  }
  if (req.method !== "POST") {
    headers.allow = "POST, OPTIONS";
    return { status: 405, headers, body: errorBody("DCM_BAD_MESSAGE", `${req.path} takes POST`) };
  }
  const cookie: CookieOptions = {
    path: `${ctx.prefix}/auth`,
    httpOnly: true,
    secure: true,
    sameSite: "Strict",
    maxAge: ctx.tokens.refreshTtl,
  };
  const clearCookie = serializeCookie(REFRESH_COOKIE, "", { ...cookie, maxAge: 0 });
  const presented = parseCookies(header(req.headers, "cookie"))[REFRESH_COOKIE];

  if (route === "logout") {
    if (presented) ctx.tokens.revokeRefresh(presented);
    headers["set-cookie"] = clearCookie;
    return { status: 204, headers };
  }

  if (!ctx.tokens.canIssue) {
    return {
      status: 501,
      headers,
      body: errorBody("DCM_SERVER_CONFIG", "this server verifies tokens of another issuer and issues none"),
    };
  }

  let clientId: string | undefined;
  let subject: string | undefined;
  let refreshToken: string;
  if (route === "session") {
    const wait = ctx.rateLimit?.(req.address) ?? 0;
    if (wait > 0) {
      headers["retry-after"] = String(wait);
      return {
        status: 429,
        headers,
        body: errorBody("DCM_SESSION_RATE_LIMITED", `too many new sessions from this address: retry in ${wait} s`),
      };
    }
    const who = await ctx.tokens.authenticate({ headers: req.headers, body: req.body });
    if (!who)
      return {
        status: 401,
        headers,
        body: errorBody("DCM_AUTH_REQUIRED", "the application refused to open a session"),
      };
    const anonymous = who.subject === undefined;
    if (anonymous && ctx.admitAnonymous && !ctx.admitAnonymous()) {
      headers["retry-after"] = String(BUSY_RETRY_SECONDS);
      return {
        status: 503,
        headers,
        body: errorBody(
          "DCM_SERVER_BUSY",
          `the server is at its limit of anonymous clients and all of them are connected: retry in ${BUSY_RETRY_SECONDS} s`,
        ),
      };
    }
    // A stale refresh cookie of an earlier session is simply replaced.
    if (presented) ctx.tokens.revokeRefresh(presented);
    const issued = await ctx.tokens.issueAccess(who.subject ? { subject: who.subject } : {});
    clientId = issued.clientId;
    subject = who.subject ?? clientId;
    refreshToken = ctx.tokens.issueRefresh(clientId, subject);
    ctx.onSession?.(clientId, subject, anonymous);
    headers["set-cookie"] = serializeCookie(REFRESH_COOKIE, refreshToken, cookie);
    return { status: 200, headers, body: accessBody(issued.accessToken, issued.expiresIn, clientId) };
  }

  if (!presented) {
    headers["set-cookie"] = clearCookie;
    return { status: 401, headers, body: errorBody("DCM_AUTH_REQUIRED", "no refresh cookie: create a session first") };
  }
  const spent = ctx.tokens.rotateRefresh(presented);
  if (!spent.ok) {
    headers["set-cookie"] = clearCookie;
    return spent.reason === "expired"
      ? {
          status: 401,
          headers,
          body: errorBody("DCM_TOKEN_EXPIRED", "the refresh token has expired: create a session"),
        }
      : {
          status: 401,
          headers,
          body: errorBody(
            "DCM_AUTH_REQUIRED",
            "the refresh token is not valid (spent, revoked, or from before a restart)",
          ),
        };
  }
  clientId = spent.clientId;
  subject = spent.subject;
  refreshToken = spent.refreshToken;
  const issued = await ctx.tokens.issueAccess({ clientId, subject });
  ctx.onSession?.(clientId, subject, subject === clientId);
  headers["set-cookie"] = serializeCookie(REFRESH_COOKIE, refreshToken, cookie);
  return { status: 200, headers, body: accessBody(issued.accessToken, issued.expiresIn, clientId) };
}

function accessBody(accessToken: string, expiresIn: number, clientId: string) {
  return { accessToken, tokenType: "Bearer", expiresIn, clientId };
}
