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
  /** Present when a new dist was deployed (live redeploy). */
  deploy?: DeployInfo;
}

/**
 * Client -> server: run a fragment on the server. Also server -> client
 * (`distributor.callOnClient`): run a client-placed fragment in the client;
 * the client answers with functionResult (DCM_CALL_REFUSED for a fragment it
 * marked private). Server-initiated callIds start with `s`.
 */
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

/** The result of one callFunction, matched by callId (server -> client; client -> server for server-initiated calls). */
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

/*
 * State transfer (issue 12, docs/state.md). The server drives every move of
 * a client's groups; `transferId` ties the messages of one move together.
 *
 * Move to the client:  S transferBegin(to "client") -> C holds new calls of
 *   the groups' fragments, waits for its calls in flight to the server, then
 *   C transferReady -> S drains its own calls for that client (callOnClient
 *   included), snapshots -> S stateTransfer -> C restores and applies the new
 *   placement -> C transferResult(ok) -> S commits; C runs the held calls locally.
 * Move to the server:  S transferBegin(to "server") -> C holds new calls,
 *   waits for its local calls in flight, snapshots -> C stateTransfer ->
 *   S restores into that client's slot, commits -> S transferResult(ok) ->
 *   C applies the placement and sends the held calls to the server.
 * A failure on either side (restore refused, checksum or stateVersion
 * mismatch, timeout) ends the move with transferResult(ok false) or
 * transferAbort: the groups stay where they were, held calls run there.
 */

/** Server -> client: start moving groups (and the fragments they hold) for this client. */
export interface TransferBeginMessage {
  type: "transferBegin";
  transferId: string;
  /** ManifestGroup ids. */
  groups: string[];
  to: Side;
  /** The placement of every fragment that moves, applied only when the move commits. */
  fragments: FragmentStatus[];
  /** The client's distribution version once the move commits (as UpdateFragmentsMessage.version). */
  version: number;
}

/** Client -> server (move to the client): the client holds the groups' calls and has none in flight to the server. */
export interface TransferReadyMessage {
  type: "transferReady";
  transferId: string;
}

/** One group's snapshot. */
export interface GroupState {
  group: string;
  /** ManifestGroup.stateVersion of the sender's dist; the receiver refuses another. */
  stateVersion: string;
  /** One wire value per ManifestGroup.state part, in that order: the part's record. */
  parts: WireValue[];
  /** sha256 (hex) of the UTF-8 of JSON.stringify(parts). */
  checksum: string;
}

/** Either direction: the snapshots of the groups being moved. */
export interface StateTransferMessage {
  type: "stateTransfer";
  transferId: string;
  groups: GroupState[];
}

/** Either direction, from the side that received stateTransfer: restored (ok) or not (the groups stay). */
export interface TransferResultMessage {
  type: "transferResult";
  transferId: string;
  ok: boolean;
  error?: CallError;
}

/** Server -> client: the move is off (timeout, the server gave up); the groups stay where they were. */
export interface TransferAbortMessage {
  type: "transferAbort";
  transferId: string;
  error: CallError;
}

/**
 * Server -> client, inside UpdateFragmentsMessage: a new build of the
 * application replaced the served dist (live redeploy). The client loads the
 * new modules in the background and switches between calls.
 */
export interface DeployInfo {
  /** The new dist's manifest buildKey. */
  id: string;
  /** Absolute URL path of the new dist folder (manifest.json and modules below it), e.g. `/dcm/dists/<id>/`. */
  base: string;
  /** Groups whose state does not carry over (state types changed, or the group is gone): they restart from their initial values. */
  stateReset: string[];
}

/** Client -> server: the client now runs the deployed dist `id` (its modules are loaded and in use). */
export interface DeployAppliedMessage {
  type: "deployApplied";
  id: string;
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
  | FunctionResultMessage
  | CancelCallMessage
  | PingMessage
  | PongMessage
  | TransferReadyMessage
  | StateTransferMessage
  | TransferResultMessage
  | DeployAppliedMessage
  | CallStatsMessage;
export type ServerMessage =
  | UpdateFragmentsMessage
  | CallFunctionMessage
  | FunctionResultMessage
  | CancelCallMessage
  | PingMessage
  | PongMessage
  | ProtocolErrorMessage
  | TransferBeginMessage
  | StateTransferMessage
  | TransferResultMessage
  | TransferAbortMessage;

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
