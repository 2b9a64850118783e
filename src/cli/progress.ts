/** A one-line progress display for long steps, only on a terminal (never in --json or when piped). */
export class Progress {
  private readonly started = performance.now();
  private active = false;
  constructor(private readonly stream: NodeJS.WriteStream | null) {}

  step(step: string, detail?: string): void {
    if (!this.stream?.isTTY) return;
    const secs = ((performance.now() - this.started) / 1000).toFixed(1);
    this.stream.write(`\r\x1b[2K[${secs}s] ${step}${detail ? `: ${detail}` : ""}`);
    this.active = true;
  }

  done(): void {
    if (this.active && this.stream?.isTTY) this.stream.write("\r\x1b[2K");
    this.active = false;
  }
}
