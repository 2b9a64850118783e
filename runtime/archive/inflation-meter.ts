/**
 * Counts inflated bytes as they come out of zlib, so that a compression bomb
 * is stopped while it inflates, whatever its headers claim. Two bounds: the
 * absolute one (the unpacked-size limit plus the archive format's own
 * overhead) and the ratio one (inflated bytes against the archive's size,
 * once past RATIO_FLOOR_BYTES). The ratio is taken over the whole archive,
 * not per entry, which also catches zips whose entries share one compressed
 * stream (overlapping-entry bombs). zlib hands out at most one chunk at a
 * time (128 KiB for tar.gz, 16 KiB for zip), so at most one chunk is
 * inflated past a bound.
 */
import { refuse } from "./archive-refusal.js";

/** Below this many inflated bytes the ratio is not checked: small archives of repetitive text compress very well. */
export const RATIO_FLOOR_BYTES = 8 * 1024 * 1024;

export class InflationMeter {
  inflated = 0;

  constructor(
    private readonly archiveBytes: number,
    private readonly maxRatio: number,
    private readonly maxInflated: number,
    private readonly maxTotalBytes: number,
  ) {}

  add(n: number, entry?: string): void {
    this.inflated += n;
    if (this.inflated > this.maxInflated)
      refuse(
        "DCM_ARCHIVE_TOO_LARGE",
        `the archive inflates to more than ${this.maxInflated} bytes (files, headers and padding; the limit for files is ${this.maxTotalBytes})`,
        entry,
      );
    if (this.inflated > RATIO_FLOOR_BYTES && this.inflated > this.maxRatio * this.archiveBytes)
      refuse(
        "DCM_ARCHIVE_RATIO",
        `the archive's ${this.archiveBytes} bytes inflate to more than ${this.inflated} bytes, over ${this.maxRatio} times its size (the limit, checked past ${RATIO_FLOOR_BYTES} bytes)`,
        entry,
      );
  }
}
