/**
 * Globals a TypeScript fragment may use when the repository has no
 * tsconfig.json: what both of its hosts (browsers and Node ≥ 20) provide,
 * declared for the type checker next to the ES2022 library. Neither DOM nor
 * Node types are loaded by default, because a fragment that uses `document`
 * or `process` fails on the other side; a repository that wants them says so
 * in its tsconfig.json (`lib: ["ES2022", "DOM"]`, `types: ["node"]`), and then
 * this file is not used at all.
 *
 * The shapes follow lib.dom.d.ts so that a program that loads those types as
 * well (a package whose .d.ts references them) merges rather than clashes.
 */

/** Where the checker sees the file (outside every repository, never reported). */
export const HOST_GLOBALS_PATH = "/__dcm__/host-globals.d.ts";

export const HOST_GLOBALS = `
interface Console {
  assert(condition?: boolean, ...data: any[]): void;
  count(label?: string): void;
  debug(...data: any[]): void;
  error(...data: any[]): void;
  info(...data: any[]): void;
  log(...data: any[]): void;
  table(tabularData?: any, properties?: string[]): void;
  time(label?: string): void;
  timeEnd(label?: string): void;
  trace(...data: any[]): void;
  warn(...data: any[]): void;
}
declare var console: Console;

interface TextEncoderEncodeIntoResult { read: number; written: number; }
interface TextEncoder {
  readonly encoding: string;
  encode(input?: string): Uint8Array;
  encodeInto(source: string, destination: Uint8Array): TextEncoderEncodeIntoResult;
}
declare var TextEncoder: { prototype: TextEncoder; new (): TextEncoder };

interface TextDecodeOptions { stream?: boolean; }
interface TextDecoderOptions { fatal?: boolean; ignoreBOM?: boolean; }
interface TextDecoder {
  readonly encoding: string;
  readonly fatal: boolean;
  readonly ignoreBOM: boolean;
  decode(input?: ArrayBuffer | ArrayBufferView, options?: TextDecodeOptions): string;
}
declare var TextDecoder: { prototype: TextDecoder; new (label?: string, options?: TextDecoderOptions): TextDecoder };

interface Crypto {
  getRandomValues<T extends ArrayBufferView | null>(array: T): T;
  randomUUID(): \`\${string}-\${string}-\${string}-\${string}-\${string}\`;
}
declare var crypto: Crypto;

interface Performance { now(): number; readonly timeOrigin: number; }
declare var performance: Performance;

declare function atob(data: string): string;
declare function btoa(data: string): string;
declare function queueMicrotask(callback: () => void): void;
declare function structuredClone<T = any>(value: T): T;
`;
