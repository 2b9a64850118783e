/**
 * Refusals of an uploaded archive: a DcmError with a DCM_ARCHIVE_* code that
 * also carries the entry's name as it stood in the archive, so that the
 * service can show it (JSON-escaped in the message: names may hold control
 * characters that must not reach a terminal raw).
 */
import { DcmError, diag, type ErrorCode } from "../diagnostics/catalog.js";

export type ArchiveCode = Extract<ErrorCode, `DCM_ARCHIVE_${string}`>;

export class ArchiveRefusal extends DcmError {
  /** The entry's name as in the archive (undefined when the refusal concerns the whole archive). */
  readonly entry: string | undefined;
  constructor(code: ArchiveCode, message: string, entry?: string, suggestion?: string) {
    const where = entry === undefined ? "" : `entry ${showName(entry)}: `;
    super(diag(code, `${where}${message}`, suggestion ? { suggestion } : {}));
    this.name = "ArchiveRefusal";
    this.entry = entry;
  }
}

/** A name as shown in messages: JSON-quoted (control characters escaped), long names cut in the middle. */
export function showName(name: string): string {
  const cut = name.length > 200 ? `${name.slice(0, 120)}…${name.slice(-60)}` : name;
  return JSON.stringify(cut);
}

export function refuse(code: ArchiveCode, message: string, entry?: string, suggestion?: string): never {
  throw new ArchiveRefusal(code, message, entry, suggestion);
}
