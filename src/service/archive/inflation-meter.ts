/** Moved to runtime/archive/inflation-meter.ts (the server's PUT /dist needs it; runtime/ never imports src/): re-exported so that nothing else changes. */
export * from "../../../runtime/archive/inflation-meter.js";
