/**
 * Errors of the API Controller. Every error reply is `{error: {code, message}}`
 * with a code of runtime/diagnostics/catalog.ts (section "API").
 */
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { CATALOG, type ErrorCode } from "../../diagnostics/catalog.js";

export type ApiErrorCode = Extract<ErrorCode, `DCM_API_${string}`>;

export interface ApiErrorBody {
  /** A DCM_API_* code, or the catalog code of a client error the distributor raised. */
  error: { code: ApiErrorCode | ErrorCode; message: string };
}

/** Thrown by handlers and hooks; the scope's error handler turns it into a reply. */
export class ApiError extends Error {
  readonly statusCode: number;
  readonly apiCode: ApiErrorCode;
  readonly headers: Record<string, string>;
  constructor(statusCode: number, apiCode: ApiErrorCode, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = "ApiError";
    this.statusCode = statusCode;
    this.apiCode = apiCode;
    this.headers = headers;
  }
}

export function errorBody(code: ApiErrorCode | ErrorCode, message: string): ApiErrorBody {
  return { error: { code, message } };
}

interface ValidationItem {
  instancePath?: string;
  message?: string;
  params?: Record<string, unknown>;
}

/** `body/changes/0/runOn must be one of client, server` from Ajv's error list. */
function describeValidation(context: string | undefined, items: ValidationItem[]): string {
  const parts = items.map((v) => {
    const where = `${context ?? "request"}${v.instancePath ?? ""}`;
    const p = v.params ?? {};
    if (Array.isArray(p.allowedValues)) return `${where} must be one of ${p.allowedValues.join(", ")}`;
    if (typeof p.missingProperty === "string") return `${where} must have property \`${p.missingProperty}\``;
    if (typeof p.additionalProperty === "string") return `${where} has unknown property \`${p.additionalProperty}\``;
    return `${where} ${v.message ?? "is not valid"}`;
  });
  return parts.join("; ");
}

/**
 * A client error raised by the distributor (its DistributorError, recognised
 * by shape, not imported): a catalog code and an HTTP `status` of 4xx.
 */
function distributorClientError(err: unknown): { status: number; code: ErrorCode; message: string } | undefined {
  if (!(err instanceof Error)) return undefined;
  const { status, code } = err as Error & { status?: unknown; code?: unknown };
  // 504: a state transfer that timed out (the client, not the server, did not answer).
  if (typeof status !== "number") return undefined;
  const clientish = (status >= 400 && status <= 499) || status === 504;
  if (!clientish || status === 401 || status === 429) return undefined;
  if (typeof code !== "string" || !(code in CATALOG)) return undefined;
  return { status, code: code as ErrorCode, message: err.message };
}

/** The error handler of the API scope: every error becomes `{error:{code,message}}`. */
export function apiErrorHandler(
  err: FastifyError | ApiError,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  if (err instanceof ApiError) {
    for (const [k, v] of Object.entries(err.headers)) reply.header(k, v);
    return reply.code(err.statusCode).send(errorBody(err.apiCode, err.message));
  }
  const fromDistributor = distributorClientError(err);
  if (fromDistributor)
    return reply.code(fromDistributor.status).send(errorBody(fromDistributor.code, fromDistributor.message));
  const status = typeof err.statusCode === "number" ? err.statusCode : 500;
  if (err.validation) {
    const message = describeValidation(err.validationContext, err.validation as ValidationItem[]);
    return reply.code(400).send(errorBody("DCM_API_BAD_REQUEST", message));
  }
  if (status === 429) return reply.code(429).send(errorBody("DCM_API_RATE_LIMITED", err.message));
  if (status === 413 || status === 414) {
    const what = status === 413 ? "request body" : "URL";
    return reply.code(status).send(errorBody("DCM_REQUEST_TOO_LARGE", `The ${what} is larger than the API accepts.`));
  }
  if (status >= 400 && status < 500) {
    // Fastify's own client errors: malformed JSON, wrong content type, body too large, ...
    return reply.code(status).send(errorBody("DCM_API_BAD_REQUEST", err.message));
  }
  request.log.error({ err }, "dcm API request failed");
  return reply
    .code(500)
    .send(errorBody("DCM_API_INTERNAL", "The distributor failed to handle the request; see the server log."));
}
