import type { Diagnostic } from "./diagnostic-types.js";

/** True when any diagnostic is an error (warnings and hints never stop a command). */
export function hasErrors(diags: Diagnostic[]): boolean {
  return diags.some((d) => d.severity === "error");
}
