/**
 * A small JSON parser that keeps each number's source text, so that integers
 * of any size and float32 values convert exactly (JSON.parse rounds every
 * number to a double first).
 */

export type JNode =
  | { k: "null" }
  | { k: "bool"; v: boolean }
  | { k: "num"; text: string }
  | { k: "str"; v: string }
  | { k: "arr"; items: JNode[] }
  | { k: "obj"; entries: Array<[string, JNode]> };

export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`invalid JSON at offset ${offset}: ${message}`);
    this.name = "JsonSyntaxError";
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPES: Record<string, string> = { '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };
const MAX_DEPTH = 512;

export function parseJson(text: string): JNode {
  let pos = 0;

  const fail = (msg: string): never => {
    throw new JsonSyntaxError(msg, pos);
  };
  const ws = () => {
    for (;;) {
      const c = text.charCodeAt(pos);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) pos++;
      else return;
    }
  };
  const literal = (word: string) => {
    if (text.startsWith(word, pos)) pos += word.length;
    else fail(`unexpected ${describeAt(text, pos)}`);
  };

  const str = (): string => {
    pos++; // opening quote
    let out = "";
    let from = pos;
    for (;;) {
      if (pos >= text.length) fail("unterminated string");
      const c = text.charCodeAt(pos);
      if (c === 0x22) {
        out += text.slice(from, pos);
        pos++;
        return out;
      }
      if (c < 0x20) fail("control character in string");
      if (c !== 0x5c) {
        pos++;
        continue;
      }
      out += text.slice(from, pos);
      const e = text[pos + 1];
      if (e === "u") {
        const h = text.slice(pos + 2, pos + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(h)) fail("bad \\u escape");
        out += String.fromCharCode(Number.parseInt(h, 16));
        pos += 6;
      } else if (e !== undefined && ESCAPES[e] !== undefined) {
        out += ESCAPES[e];
        pos += 2;
      } else {
        fail("bad escape");
      }
      from = pos;
    }
  };

  const value = (depth: number): JNode => {
    if (depth > MAX_DEPTH) fail("nesting too deep");
    ws();
    const c = text[pos];
    switch (c) {
      case "{": {
        pos++;
        const entries: Array<[string, JNode]> = [];
        ws();
        if (text[pos] === "}") {
          pos++;
          return { k: "obj", entries };
        }
        for (;;) {
          ws();
          if (text[pos] !== '"') fail(`expected a string key, got ${describeAt(text, pos)}`);
          const key = str();
          ws();
          if (text[pos] !== ":") fail(`expected ':', got ${describeAt(text, pos)}`);
          pos++;
          entries.push([key, value(depth + 1)]);
          ws();
          if (text[pos] === ",") pos++;
          else if (text[pos] === "}") {
            pos++;
            return { k: "obj", entries };
          } else fail(`expected ',' or '}', got ${describeAt(text, pos)}`);
        }
      }
      case "[": {
        pos++;
        const items: JNode[] = [];
        ws();
        if (text[pos] === "]") {
          pos++;
          return { k: "arr", items };
        }
        for (;;) {
          items.push(value(depth + 1));
          ws();
          if (text[pos] === ",") pos++;
          else if (text[pos] === "]") {
            pos++;
            return { k: "arr", items };
          } else fail(`expected ',' or ']', got ${describeAt(text, pos)}`);
        }
      }
      case '"':
        return { k: "str", v: str() };
      case "t":
        literal("true");
        return { k: "bool", v: true };
      case "f":
        literal("false");
        return { k: "bool", v: false };
      case "n":
        literal("null");
        return { k: "null" };
      default: {
        NUMBER.lastIndex = pos;
        const m = NUMBER.exec(text);
        if (!m) return fail(`unexpected ${describeAt(text, pos)}`);
        pos += m[0].length;
        return { k: "num", text: m[0] };
      }
    }
  };

  const root = value(0);
  ws();
  if (pos !== text.length) fail(`unexpected ${describeAt(text, pos)} after the value`);
  return root;
}

function describeAt(text: string, pos: number): string {
  return pos >= text.length ? "end of input" : JSON.stringify(text[pos]);
}
