/**
 * What a fragment prints (types only). Every host captures a call's stdout
 * and stderr the same way (docs/abi.md, "Output"): per call, at most
 * OUTPUT_LIMIT_BYTES (runtime/abi/call-output.ts) of UTF-8, never mixed into
 * results or protocol frames. The host hands it to whoever shows it: the CLI
 * (stderr, `[fragment <id>] ` before each line), `dcm run`'s logger (with the
 * client id), the browser console, or an `onOutput` callback.
 */

export type OutputStream = "stdout" | "stderr";

/** One piece of text written to one stream, in the order the fragment wrote them. */
export interface OutputChunk {
  stream: OutputStream;
  text: string;
}

/** What one call printed. */
export interface CallOutput {
  chunks: OutputChunk[];
  /** UTF-8 bytes past the per-call limit that were dropped (0 when all was kept). */
  dropped: number;
}

/** A call's output with what it is about: the fragment and, on the server, the client that called it. */
export interface FragmentOutput extends CallOutput {
  fragment: string;
  /** The calling client's id (server side only). */
  client?: string;
}

/** Receives the output of each call that printed something; calls that print nothing do not reach it. */
export type OutputHandler = (output: FragmentOutput) => void;
