// Strings and bytes. JS strings are UTF-16; iterating a string (Array.from,
// for…of) goes by code point, as Go's range over a string does.
import type { i32, u8 } from "./widths.js";

/** Joins two strings. */
export function concat(a: string, b: string): string {
  return a + b;
}

/** Reverses s by code point (combining marks and emoji sequences are split). */
export function reverseString(s: string): string {
  return Array.from(s).reverse().join("");
}

/** The length of s in UTF-8 bytes. */
export function utf8Len(s: string): i32 {
  return new TextEncoder().encode(s).length;
}

/** The number of code points of s. */
export function codePoints(s: string): i32 {
  return Array.from(s).length;
}

/** Upper-cases a–z and leaves every other character as it is. */
export function upperAscii(s: string): string {
  let out = "";
  for (const c of s) out += c >= "a" && c <= "z" ? c.toUpperCase() : c;
  return out;
}

/** Counts runs of characters other than space, tab, CR and LF. */
export function countWords(s: string): i32 {
  let n = 0;
  let inWord = false;
  for (const c of s) {
    const space = c === " " || c === "\t" || c === "\n" || c === "\r";
    if (!space && !inWord) n++;
    inWord = !space;
  }
  return n;
}

/** XORs every byte with key. */
export function bytesXor(data: Uint8Array, key: u8): Uint8Array {
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i]! ^ key;
  return out;
}
