/**
 * What languages/go/generate hands to languages/go/toolchain through
 * GeneratedProject.buildSpec (opaque to core).
 */
import type { CallAbi } from "../../../runtime/abi/value-types.js";

export type GoTarget = "wasm" | "native";

/** The fixed `go build` flags (part of the module's content key). */
export const GO_BUILD_FLAGS = ["-buildmode=c-shared", "-trimpath", "-buildvcs=false", "-ldflags=-s -w"];

export interface GoBuildSpec {
  kind: "go";
  /** Bumped when the layout below changes. */
  specVersion: 1;
  target: GoTarget;
  /** Absolute repository root. */
  repo: string;
  /** Absolute folder holding the user's go.mod. */
  moduleRoot: string;
  /** Absolute folder holding everything generated for this target (…/workDir/go-<target>). */
  workDir: string;
  /** Absolute folder of the generated main module: the working directory of `go build`. */
  mainDir: string;
  /** Absolute path of the generated go.work (passed as GOWORK). */
  goWork: string;
  /** Absolute path of overlay.json (passed as -overlay): pruned to the fragments' closure unless DCM_GO_EXTRACT=0. */
  overlay: string;
  /** With extraction: the overlay of the same build from whole packages (compile-go.ts's fallback). */
  wholeOverlay?: string;
  /** With extraction: how much of the module was kept. */
  extraction?: { packages: number; filesKept: number; filesDropped: number; decls: number };
  /** The user's module path and its repo-relative folder. */
  modulePath: string;
  moduleDir: string;
  /** Fragment id → export name in the module, for every callable fragment built (write it into the manifest). */
  exports: Record<string, string>;
  /** Fragment id → the ABI its export uses. */
  abi: Record<string, CallAbi>;
  /**
   * Declarations of the fragments built, to map compiler errors back to
   * fragments; `pkgPath` is the package the generated code imports, `libs`
   * the packages outside the module the fragment's own code reaches.
   */
  fragments: Array<{
    id: string;
    symbol: string;
    file: string;
    line: number;
    endLine: number;
    pkgPath: string;
    libs: string[];
  }>;
  /** Absolute path of a generated copy of a user file → repo-relative original (package main copies, pruned copies). */
  shadows: Record<string, string>;
  /** Absolute paths of the Go files dcm wrote itself; a compiler error in one of them is a dcm bug. */
  generated: string[];
}

export function isGoBuildSpec(x: unknown): x is GoBuildSpec {
  return typeof x === "object" && x !== null && (x as { kind?: unknown }).kind === "go";
}
