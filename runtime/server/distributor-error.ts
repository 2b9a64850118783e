/**
 * The error DistributorControl methods and the distributor's setup throw.
 * `code` is a code of runtime/diagnostics/catalog.ts; `status` is the HTTP
 * status an API would answer with.
 */
export class DistributorError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = "DistributorError";
  }
  toJSON(): { code: string; message: string } {
    return { code: this.code, message: this.message };
  }
}
