/**
 * What every HTTP answer of a dcm server looks like: errors as
 * `{"error":{"code","message"}}` with a catalog code (including the ones
 * Node's HTTP parser and fastify's router produce before any route runs:
 * 400, 408, 414, 431), user input echoed only cut short, and the security
 * headers of the page and the static files.
 *
 * Content-Security-Policy of the page and of every script it loads (module
 * workers take the policy of their own script's response):
 *   - script-src 'self' blob: 'wasm-unsafe-eval': the runtime and the
 *     dist's files come from this origin; a module's glue and a TypeScript
 *     fragments' bundle are imported from blob: URLs made from bytes the
 *     page fetched from this origin (runtime/client/module-host.ts, the
 *     TypeScript glue); WebAssembly needs 'wasm-unsafe-eval' to compile.
 *   - worker-src 'self' blob:, connect-src 'self' (fetches, and the
 *     WebSocket to this host), style-src 'self', img-src 'self' data: (the
 *     page's empty `data:,` icon).
 *   - nothing else: default-src 'none', base-uri 'none', form-action
 *     'none', frame-ancestors 'none'.
 */
import type { Socket } from "node:net";
import type { FastifyReply, FastifyRequest } from "fastify";

export const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self' blob: 'wasm-unsafe-eval'",
  "worker-src 'self' blob:",
  "connect-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/** Longest URL (path and query) a dcm server reads; longer ones get 414. */
export const MAX_URL_LENGTH = 8192;

/** At most `n` characters of user input, for echoing in a message. */
export function clip(s: string, n = 80): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}

export function errorBody(code: string, message: string): { error: { code: string; message: string } } {
  return { error: { code, message } };
}

/** The headers of the page and of every static file a dcm server sends. */
export function withSecurityHeaders(reply: FastifyReply): FastifyReply {
  return reply
    .header("content-security-policy", PAGE_CSP)
    .header("x-content-type-options", "nosniff")
    .header("x-frame-options", "DENY")
    .header("referrer-policy", "no-referrer");
}

/** Sends an error in the documented shape. */
export function sendError(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  return reply
    .code(status)
    .header("x-content-type-options", "nosniff")
    .type("application/json; charset=utf-8")
    .send(errorBody(code, message));
}

export function notFound(req: FastifyRequest, reply: FastifyReply): FastifyReply {
  const path = req.url.split("?")[0] ?? "";
  return sendError(reply, 404, "DCM_HTTP_NOT_FOUND", `no route or file for ${req.method} ${clip(path)}`);
}

/** fastify's `frameworkErrors`: a path parameter over maxParamLength (414) or a URL that does not decode (400). */
export function frameworkError(err: Error & { code?: string }, _req: FastifyRequest, reply: FastifyReply): void {
  if (err.code === "FST_ERR_MAX_PARAM_LENGTH") {
    sendError(reply, 414, "DCM_REQUEST_TOO_LARGE", "a path segment of the URL is longer than 100 characters");
    return;
  }
  sendError(reply, 400, "DCM_HTTP_BAD_REQUEST", "the URL is not valid (a percent-encoding does not decode)");
}

/** The error handler outside the API's own scope. */
export function httpErrorHandler(
  err: Error & { statusCode?: number; code?: string },
  req: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  const status = typeof err.statusCode === "number" ? err.statusCode : 500;
  if (status === 413) {
    return sendError(reply, 413, "DCM_REQUEST_TOO_LARGE", "the request body is larger than the server accepts");
  }
  if (status === 414) return sendError(reply, 414, "DCM_REQUEST_TOO_LARGE", clip(err.message, 200));
  if (status >= 400 && status < 500) return sendError(reply, status, "DCM_HTTP_BAD_REQUEST", clip(err.message, 200));
  req.log.error({ err }, "dcm request failed");
  return sendError(reply, 500, "DCM_HTTP_INTERNAL", "the server failed to handle the request; see the server log");
}

/** Answers 414 for URLs longer than MAX_URL_LENGTH (an onRequest hook). */
export async function urlLengthHook(req: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (req.url.length > MAX_URL_LENGTH) {
    await sendError(reply, 414, "DCM_REQUEST_TOO_LARGE", `the URL is longer than ${MAX_URL_LENGTH} characters`);
  }
}

function rawReply(socket: Socket, status: number, text: string, code: string, message: string): void {
  const body = JSON.stringify(errorBody(code, message));
  socket.write(
    `HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n${body}`,
  );
}

/**
 * Node's HTTP parser refuses a request before fastify sees it (the server's
 * `clientError`): headers over maxHeaderSize (431; 414 when the request line
 * alone is too long), a timeout (408), anything malformed (400).
 */
export function clientErrorHandler(err: Error & { code?: string; rawPacket?: unknown }, socket: Socket): void {
  if (err.code === "ECONNRESET" || socket.destroyed) return;
  if (socket.writable) {
    if (err.code === "HPE_HEADER_OVERFLOW") {
      // The request line alone over the URL limit: the URL is what is too long.
      const raw = Buffer.isBuffer(err.rawPacket) ? err.rawPacket : null;
      const lineEnd = raw ? raw.indexOf("\r\n") : -1;
      const lineLength = raw ? (lineEnd < 0 ? raw.length : lineEnd) : 0;
      if (lineLength > MAX_URL_LENGTH)
        rawReply(socket, 414, "URI Too Long", "DCM_REQUEST_TOO_LARGE", "the URL is too long");
      else
        rawReply(
          socket,
          431,
          "Request Header Fields Too Large",
          "DCM_REQUEST_TOO_LARGE",
          "the request headers are larger than the server accepts",
        );
    } else if (err.code === "ERR_HTTP_REQUEST_TIMEOUT") {
      rawReply(socket, 408, "Request Timeout", "DCM_HTTP_BAD_REQUEST", "the request took too long to arrive");
    } else {
      rawReply(socket, 400, "Bad Request", "DCM_HTTP_BAD_REQUEST", "the request is not valid HTTP");
    }
  }
  socket.destroy();
}
