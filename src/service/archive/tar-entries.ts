/** Moved to runtime/archive/tar-entries.ts (the server's PUT /dist needs it; runtime/ never imports src/): re-exported so that nothing else changes. */
export * from "../../../runtime/archive/tar-entries.js";
