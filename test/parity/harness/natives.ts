/**
 * Native references: each language's parity functions run by that language's
 * own toolchain, without dcm, by the runner the language brings
 * (`languages/<id>/fixtures/parity-native.ts`, see parity-types.ts). Returns,
 * per fragment id, the canonical JSON text of every case's result (in the
 * order of casesFor(lang)), or {"error":{"code":...,"message":...}}.
 */
import { cfdNames, rawCasesFor } from "./cases.js";
import { parityLanguage } from "./languages.js";
import type { Results } from "./parity-types.js";
import { signatureFor } from "./signatures.js";

export type { Results } from "./parity-types.js";

export async function nativeResults(lang: string): Promise<Results> {
  const entry = parityLanguage(lang);
  if (!entry.parity) throw new Error(`parity: ${entry.problem}`);
  const cases = rawCasesFor(lang);
  const results = await entry.parity.native({
    id: lang,
    repo: entry.repo,
    cases,
    names: cfdNames(entry.repo),
    signature: (id) => signatureFor(id, entry.parity!.signatures),
  });
  // A runner that skipped or added cases would make the comparisons meaningless.
  for (const [id, list] of Object.entries(cases)) {
    if (results[id]?.length !== list.length)
      throw new Error(
        `parity: the ${lang} native runner returned ${results[id]?.length ?? 0} results for ${list.length} cases of \`${id}\``,
      );
  }
  return results;
}

/** A language's native result as the other languages would write it (its documented differences), for the agreement test. */
export function normaliseForAgreement(lang: string, id: string, line: string): string {
  return parityLanguage(lang).parity?.normalise?.(id, line) ?? line;
}
