/** Checks that need every fragment: unique ids and dependencies that exist. */
import { didYouMean } from "../core/did-you-mean.js";
import type { SourcePos } from "../../runtime/diagnostics/diagnostic-types.js";
import { type Ctx, type Draft, err } from "./cfd-yaml-context.js";

export function checkIds(ctx: Ctx, drafts: Draft[]): void {
  const first = new Map<string, SourcePos>();
  const numeric = drafts.every((d) => d.id === undefined || /^\d+$/.test(d.id));
  const next = Math.max(0, ...drafts.map((d) => (d.id && /^\d+$/.test(d.id) ? Number(d.id) : 0))) + 1;
  for (const d of drafts) {
    if (d.id === undefined) continue;
    const seen = first.get(d.id);
    const here = d.frag.positions.id!;
    if (!seen) {
      first.set(d.id, here);
      continue;
    }
    const hint = numeric
      ? `give this fragment an unused id, e.g. \`id: ${next}\``
      : "give this fragment an id of its own";
    err(
      ctx,
      "DCM_CFD_DUPLICATE_ID",
      `fragment id \`${d.id}\` is already used by the fragment at line ${seen.line}`,
      here,
      hint,
      d.id,
    );
  }
}

export function checkDependencies(ctx: Ctx, drafts: Draft[]): void {
  const ids = new Set(drafts.flatMap((d) => (d.id === undefined ? [] : [d.id])));
  const byName = new Map(
    drafts.flatMap((d) => (d.frag.name && d.id !== undefined ? [[d.frag.name, d.id] as const] : [])),
  );
  for (const d of drafts) {
    (d.frag.dependsOn ?? []).forEach((dep, i) => {
      const where = d.frag.positions[`dependsOn.${i}`]!;
      if (dep === d.id) {
        err(
          ctx,
          "DCM_CFD_INVALID_VALUE",
          `fragment ${dep} lists itself in \`dependsOn\``,
          where,
          "remove its own id from `dependsOn`",
          d.id,
        );
      } else if (!ids.has(dep)) {
        const named = byName.get(dep);
        const hint =
          named !== undefined
            ? `\`${dep}\` is the name of fragment ${named}; \`dependsOn\` takes ids: use \`${named}\``
            : (didYouMean(dep, ids) ?? `declared ids: ${[...ids].slice(0, 10).join(", ")}`);
        err(
          ctx,
          "DCM_CFD_UNKNOWN_DEPENDENCY",
          `\`dependsOn\` names \`${dep}\`, which is not the id of any fragment in this CFD`,
          where,
          hint,
          d.id,
        );
      }
    });
  }
}
