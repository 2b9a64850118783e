/**
 * The channel between a process host (process-host.ts) and its child
 * (isolated-child.ts) (types only). Every frame is
 * `u32 length (of what follows) | u8 kind | u32 call id | payload`, little
 * endian. Arguments and results travel as docs/abi.md bytes: encoded
 * arguments in CALL, a result frame in RESULT.
 */
import type { LoadRequest } from "../abi/module-types.js";

/** The JSON of a LOAD frame (the module's bytes, for glue-loaded modules, follow it). */
export interface ChildLoad {
  req: Omit<LoadRequest, "bytes" | "onOutput">;
  /** Glue module (file path or URL) that loads `req`; none for a native plugin, which the child loads itself. */
  glue?: string;
}

/** The JSON of FATAL and ERROR frames. */
export interface ChildError {
  code: string;
  message: string;
}
