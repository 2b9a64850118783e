/** Regenerates docs/errors.md from the catalog: `node build/src/diagnostics/write-errors-doc.js`. */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { projectRoot } from "../core/paths.js";
import { CATALOG, type CatalogEntry } from "../../runtime/diagnostics/catalog.js";

export function renderErrorsDoc(): string {
  const lines = [
    "# dcm error codes",
    "",
    "Every diagnostic dcm prints carries one of these stable codes, a position (`file:line:col`) where",
    "there is one, and a `fix:` line. Generated from `runtime/diagnostics/catalog.ts`; a test keeps the two in sync.",
    "",
    "Severities: an *error* stops `dcm build` (and makes `dcm validate` exit 1); a *warning* does not,",
    "unless `--strict` is given; a *hint* never does.",
    "",
  ];
  for (const [code, entry] of Object.entries(CATALOG)) {
    const e: CatalogEntry = entry;
    const shown = e.verboseOnly ? " (printed with `--verbose`; always in `--json`)" : "";
    lines.push(`### ${code}`, "", `*${e.severity}*${shown} — ${e.title}.`, "", `Fix: ${e.fix}`, "");
  }
  return lines.join("\n");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  writeFileSync(join(projectRoot(), "docs/errors.md"), renderErrorsDoc());
}
