/**
 * The checks on an entry's name (and on a link's target) before anything is
 * written: a name becomes a list of path segments below the destination, or
 * a refusal. `.` and empty segments are dropped (`./src//a.go` is `src/a.go`,
 * as tar writes it for `tar czf x.tgz .`); `..` is refused wherever it stands,
 * even where it would stay inside (`a/../b`): no real packer writes it.
 *
 * Limitations: names are compared as given, without Unicode normalisation,
 * so `é` in NFC and NFD are two files (as on Linux, where builds run).
 */
import { refuse } from "./archive-refusal.js";

/** C0 and C1 control characters and DEL: they can rewrite a terminal line when a name is printed. */
function hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return true;
  }
  return false;
}
const DRIVE = /^[A-Za-z]:/;
/** Linux's NAME_MAX: a longer segment cannot be created, so it is refused by name, not by a failing write. */
export const MAX_SEGMENT_BYTES = 255;

export interface NameLimits {
  maxPathLength: number;
  maxDepth: number;
}

type Verdict =
  | { segments: string[] }
  | {
      code: "DCM_ARCHIVE_BAD_NAME" | "DCM_ARCHIVE_UNSAFE_PATH" | "DCM_ARCHIVE_PATH_TOO_LONG" | "DCM_ARCHIVE_TOO_DEEP";
      why: string;
    };

function judge(name: string, limits: NameLimits): Verdict {
  if (name === "") return { code: "DCM_ARCHIVE_BAD_NAME", why: "the name is empty" };
  if (name.includes("\ufffd")) return { code: "DCM_ARCHIVE_BAD_NAME", why: "the name is not valid UTF-8" };
  if (hasControl(name)) return { code: "DCM_ARCHIVE_BAD_NAME", why: "the name holds a NUL or control character" };
  const bytes = Buffer.byteLength(name);
  if (bytes > limits.maxPathLength)
    return {
      code: "DCM_ARCHIVE_PATH_TOO_LONG",
      why: `the name is ${bytes} bytes long; the limit is ${limits.maxPathLength}`,
    };
  if (name.includes("\\")) return { code: "DCM_ARCHIVE_UNSAFE_PATH", why: "the name holds a backslash" };
  if (name.startsWith("/")) return { code: "DCM_ARCHIVE_UNSAFE_PATH", why: "the name is an absolute path" };
  if (DRIVE.test(name)) return { code: "DCM_ARCHIVE_UNSAFE_PATH", why: "the name starts with a drive letter" };
  const segments = name.split("/").filter((s) => s !== "" && s !== ".");
  if (segments.includes("..")) return { code: "DCM_ARCHIVE_UNSAFE_PATH", why: "the name has a `..` segment" };
  const long = segments.find((s) => Buffer.byteLength(s) > MAX_SEGMENT_BYTES);
  if (long !== undefined)
    return { code: "DCM_ARCHIVE_PATH_TOO_LONG", why: `a segment of the name is over ${MAX_SEGMENT_BYTES} bytes` };
  if (segments.length > limits.maxDepth)
    return {
      code: "DCM_ARCHIVE_TOO_DEEP",
      why: `the name is ${segments.length} segments deep; the limit is ${limits.maxDepth}`,
    };
  return { segments };
}

/** The segments of an entry's path below the destination (empty for the root folder itself, `./`), or a refusal. */
export function entrySegments(name: string, limits: NameLimits): string[] {
  const v = judge(name, limits);
  if ("code" in v) refuse(v.code, v.why, name);
  return v.segments;
}

/** A hard link's target: a path of the archive like an entry's own, else DCM_ARCHIVE_HARDLINK. */
export function hardLinkSegments(entry: string, target: string, limits: NameLimits): string[] {
  const v = judge(target, limits);
  if ("code" in v)
    refuse("DCM_ARCHIVE_HARDLINK", `the hard link's target ${JSON.stringify(target)} is refused: ${v.why}`, entry);
  if (v.segments.length === 0)
    refuse("DCM_ARCHIVE_HARDLINK", "the hard link points to the archive's root folder", entry);
  return v.segments;
}

/**
 * A symbolic link's target, checked as text: relative, printable, not too long. Whether it stays inside once
 * resolved (through other links too) is decided when the whole tree is known (archive-tree.ts).
 */
export function checkSymlinkTarget(entry: string, target: string, limits: NameLimits): void {
  if (target === "") refuse("DCM_ARCHIVE_BAD_NAME", "the symbolic link's target is empty", entry);
  if (target.includes("\ufffd") || hasControl(target))
    refuse("DCM_ARCHIVE_BAD_NAME", "the symbolic link's target is not valid UTF-8 or holds a control character", entry);
  const bytes = Buffer.byteLength(target);
  if (bytes > limits.maxPathLength)
    refuse(
      "DCM_ARCHIVE_PATH_TOO_LONG",
      `the symbolic link's target is ${bytes} bytes long; the limit is ${limits.maxPathLength}`,
      entry,
    );
  if (target.startsWith("/") || DRIVE.test(target) || target.includes("\\"))
    refuse(
      "DCM_ARCHIVE_SYMLINK_ESCAPE",
      `the symbolic link's target ${JSON.stringify(target)} is absolute (or uses a drive letter or backslash)`,
      entry,
    );
}
