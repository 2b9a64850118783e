/**
 * Where the print macros go in a crate root (languages/rust/generate/print-macros.ts):
 * after the inner attributes, before any item or outer doc comment, without
 * adding a line. That the macros compile and capture is checked by building
 * real crates (test/parity, test/e2e/rust-build.spec.ts).
 */
import { describe, expect, it } from "vitest";
import { PRINT_MACROS, printMacrosOffset, withPrintMacros } from "../../../languages/rust/generate/print-macros.js";

const at = (text: string) => text.slice(0, printMacrosOffset(text));

describe("print macros in the crate root", () => {
  it("go after inner attributes and inner doc comments, before the first item", () => {
    expect(at("#![allow(dead_code)]\n#![cfg_attr(x, doc = \"]\")]\nmod a;\n")).toBe(
      '#![allow(dead_code)]\n#![cfg_attr(x, doc = "]")]',
    );
    expect(at("//! Crate docs.\n//! More.\n\nmod a;\n")).toBe("//! Crate docs.\n//! More.\n");
    expect(at("/*! docs /* nested */ */\nmod a;\n")).toBe("/*! docs /* nested */ */");
    expect(at("// a plain comment\n#![allow(x)]\nfn f() {}\n")).toBe("// a plain comment\n#![allow(x)]");
  });

  it("go before an outer doc comment or item, at the very start when there are no inner attributes", () => {
    expect(at("/// Adds.\npub fn add() {}\n")).toBe("");
    expect(at("mod a;\n")).toBe("");
    expect(at("#![allow(x)]\n/// Doc of a.\nmod a;\n")).toBe("#![allow(x)]");
  });

  it("never add a line", () => {
    for (const text of ["mod a;\n", "//! d\nmod a;\n", "#![allow(x)]\n\nmod a;\n", "// c\n/* b */\nfn f() {}\n"]) {
      const out = withPrintMacros(text);
      expect(out.split("\n").length).toBe(text.split("\n").length);
      expect(out).toContain(PRINT_MACROS);
    }
    expect(PRINT_MACROS).not.toContain("\n");
    for (const m of ["print", "println", "eprint", "eprintln", "dbg"]) expect(PRINT_MACROS).toContain(`macro_rules! ${m} {`);
  });
});
