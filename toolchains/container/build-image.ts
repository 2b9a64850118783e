/**
 * Builds (or finds) dcm's container image with progress on stderr and prints
 * its tag: `node build/toolchains/container/build-image.js` (a CI job can run
 * it once before the tests; `dcm build --driver container` does the same on
 * first use). Exit code 1 with the diagnostic when it cannot.
 */
import { DcmError } from "../../runtime/diagnostics/catalog.js";
import { ensureImage } from "./image.js";

const started = performance.now();
try {
  const tag = await ensureImage((line) => process.stderr.write(`${line}\n`));
  process.stderr.write(`ready in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  process.stdout.write(`${tag}\n`);
} catch (e) {
  if (!(e instanceof DcmError)) throw e;
  for (const d of e.diagnostics) process.stderr.write(`error ${d.code}: ${d.message}\n  fix: ${d.suggestion ?? ""}\n`);
  process.exitCode = 1;
}
