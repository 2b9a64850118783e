/**
 * The WebSocket protocol between the client and server Code Distributors
 * (types only). Event names follow the paper's Table 1. Version 1.
 *
 * Framing: one JSON text frame per message. Values travel as wire values
 * (WireValue below) so that 64-bit integers, bytes and maps survive JSON.
 * docs/protocol.md describes the exchange.
 */
import type { Side } from "../abi/manifest-types.js";

export const PROTOCOL_VERSION = 1;
/** The WebSocket subprotocol; the access token travels as a second subprotocol entry `dcm.token.<jwt>` or in the `hello` message, never in the URL. */
export const SUBPROTOCOL = "dcm.v1";
export const TOKEN_SUBPROTOCOL_PREFIX = "dcm.token.";

/**
 * A value-model value inside JSON: numbers that are not safe integers, and
 * bigints, travel as {"$i": "<digits>"}; bytes as {"$b": "<base64>"}; maps
 * as {"$m": [[k, v], ...]}; NaN/±Infinity/-0 as {"$f": "NaN" | "Infinity" | "-Infinity" | "-0"}.
 * Everything else is plain JSON. The receiver converts with the fragment's
 * signature, so the encoding needs no type tags beyond these.
 */
export type WireValue = unknown;

export interface FragmentStatus {
  id: string;
  runOn: Side;
}

/** Client -> server, first message when the token is not in the subprotocol header. */
export interface HelloMessage {
  type: "hello";
  protocol: number;
  token?: string;
}

/** Server -> client: the client's distribution (full list, or the changed entries). */
export interface UpdateFragmentsMessage {
  type: "updateFragments";
  fragments: FragmentStatus[];
  /** True when `fragments` is the whole distribution. */
  full: boolean;
  /** Monotonic per client; a client ignores an older version. */
  version: number;
}

/** Client -> server: run a fragment on the server. */
export interface CallFunctionMessage {
  type: "callFunction";
  callId: string;
  fragment: string;
  args: WireValue[];
  /** Run in the background; later calls proceed without waiting. */
  defer?: boolean;
  /** Milliseconds; the server caps it at its own limit. */
  timeoutMs?: number;
}

/** Client -> server: abandon a call (the caller aborted, or the fragment migrated). */
export interface CancelCallMessage {
  type: "cancelCall";
  callId: string;
}

export interface CallError {
  /** A code of runtime/diagnostics/catalog.ts or of docs/protocol.md. */
  code: string;
  message: string;
}

/** Server -> client: the result of one callFunction, matched by callId. */
export type FunctionResultMessage =
  | { type: "functionResult"; callId: string; ok: true; value: WireValue }
  | { type: "functionResult"; callId: string; ok: false; error: CallError };

export interface PingMessage {
  type: "ping";
  /** Sender's clock, ms (performance.now() or Date.now()). */
  t: number;
}

export interface PongMessage {
  type: "pong";
  /** The ping's t, echoed. */
  t: number;
  /** Responder's clock when answering. */
  serverTime: number;
}

/** Server -> client: a message could not be handled; the connection stays open. */
export interface ProtocolErrorMessage {
  type: "error";
  code: string;
  message: string;
  /** The offending message's callId, when it had one. */
  callId?: string;
}

/** Reserved for the State Manager (a later issue): state snapshots that travel with a migration. */
export interface StateTransferMessage {
  type: "stateTransfer";
  fragment: string;
  state: WireValue;
}

/**
 * Client -> server: latencies of calls the client ran locally, so that the
 * distributor's statistics cover both sides. Optional; batched.
 */
export interface CallStatsMessage {
  type: "callStats";
  calls: Array<{ fragment: string; ms: number; ok: boolean }>;
}

export type ClientMessage =
  | HelloMessage
  | CallFunctionMessage
  | CancelCallMessage
  | PingMessage
  | PongMessage
  | StateTransferMessage
  | CallStatsMessage;
export type ServerMessage =
  | UpdateFragmentsMessage
  | FunctionResultMessage
  | PingMessage
  | PongMessage
  | ProtocolErrorMessage
  | StateTransferMessage;

/** WebSocket close codes (4000–4999 are the application's). */
export const CLOSE_CODES = {
  /** No token, or a token that does not verify. */
  unauthorized: 4401,
  /** The token has expired: refresh it and reconnect. */
  tokenExpired: 4402,
  /** Origin not in the allowlist. */
  forbiddenOrigin: 4403,
  /** The client sent `protocol` the server does not speak. */
  protocolVersion: 4406,
  /** Server shutting down: reconnect with backoff. */
  goingAway: 1001,
} as const;
