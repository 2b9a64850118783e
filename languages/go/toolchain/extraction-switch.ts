/**
 * Whether Go builds extract the fragments' closure (generate/extract.ts) or
 * compile whole packages (`DCM_GO_EXTRACT=0`), presented as a toolchain of
 * the Go adapter so that the build key changes with it: a dist built one way
 * is not "up to date" for the other (the Rust adapter does the same for
 * DCM_RUST_BINDGEN). Its detect() never fails and is read on every call.
 */
import type { ToolchainDriver, ToolchainInfo } from "../../../toolchains/toolchain-types.js";
import { extractionEnabled } from "../generate/extract.js";

export function extractionLabel(): string {
  return extractionEnabled() ? "closure extraction" : "whole packages (DCM_GO_EXTRACT=0)";
}

export const goExtraction: ToolchainDriver = {
  name: "go-extract",
  installHint: "nothing to install: DCM_GO_EXTRACT=0 turns Go closure extraction off",
  async detect(): Promise<ToolchainInfo> {
    return { name: "go-extract", path: "", version: extractionLabel() };
  },
  async version(): Promise<string> {
    return extractionLabel();
  },
  async compile() {
    return { ok: false, stdout: "", stderr: "go-extract is a build setting, not a compiler\n", durationMs: 0 };
  },
};
