/**
 * Loads a dist for the server: reads and checks the manifest, verifies every
 * server module (and its glue) against the manifest's sha256 inside the dist
 * folder (runtime/node/dist-files.ts), and starts a Fragment Executer with
 * it. Used at start-up and by every live redeploy (`distributor.deploy`), so
 * that a deployed dist is checked exactly like the first one.
 */
import { resolve } from "node:path";
import type { Manifest } from "../../abi/manifest-types.js";
import { loadFragments } from "../../abi/state-accessors.js";
import { DistFileError, readDistFile } from "../../node/dist-files.js";
import { readManifest } from "../../node/load-dist.js";
import { DistributorError } from "../distributor-error.js";
import { Executer } from "../executer.js";
import type { WorkerModuleSpec } from "../executer-worker.js";
import { FragmentRegistry } from "../fragment-registry.js";
import type { ResolvedOptions } from "../options.js";

export interface ServerDist {
  /** Absolute path of the dist folder. */
  dir: string;
  manifest: Manifest;
  fragments: FragmentRegistry;
  /** Started: its workers have loaded every server module. */
  executer: Executer;
}

type Glue = NonNullable<ResolvedOptions["glue"]>;

function asDistributorError(e: unknown): unknown {
  return e instanceof DistFileError ? new DistributorError(e.code, e.message) : e;
}

/** Throws DistributorError (a DCM_MANIFEST_* / DCM_MODULE_* / DCM_NO_MODULE_FOR_SIDE code) or the module's load error. */
export async function loadServerDist(distDir: string, opts: ResolvedOptions, glue: Glue): Promise<ServerDist> {
  const dir = resolve(distDir);
  const manifest = await readManifest(dir).catch((e: Error & { code?: string }) => {
    throw new DistributorError(e.code ?? "DCM_MANIFEST_INVALID", e.message);
  });
  const fragments = new FragmentRegistry(manifest, opts.target);
  for (const j of fragments.joinedGroups)
    opts.logger.warn(`dcm: the CFD places the fragments of group ${j.group} on both sides; the group starts on the ${j.side} (groups move as one)`);
  const modules: WorkerModuleSpec[] = [];
  for (const m of fragments.serverModules) {
    const { path } = await readDistFile(dir, m.file, m.sha256, "module").catch((e) => {
      throw asDistributorError(e);
    });
    // The glue the dist carries for a module wins over the registry's (it may be made for this very build).
    const g = m.glue
      ? (
          await readDistFile(dir, m.glue.file, m.glue.sha256, "glue").catch((e) => {
            throw asDistributorError(e);
          })
        ).path
      : m.target !== "native"
        ? glue(m.language, m.target)
        : undefined;
    if (m.target !== "native" && !g)
      throw new DistributorError("DCM_NO_MODULE_FOR_SIDE", `no runtime glue for ${m.language} ${m.target} modules`);
    modules.push({
      module: m,
      path,
      ...(g ? { glue: g } : {}),
      // The workers also load the state accessors (never callable by clients: the registry does not know them).
      fragments: loadFragments(manifest, m),
      types: manifest.types,
      isolation: { isolation: opts.isolation, memoryLimitMb: opts.memoryLimitMb },
    });
  }
  const executer = new Executer({
    modules,
    size: opts.workers,
    maxRunningPerClient: opts.maxRunningPerClient,
    maxQueuedPerClient: opts.maxQueuedPerClient,
    // A fragment's unbounded JS allocation ends its worker (DCM_FRAGMENT_PANIC), not the server.
    ...(opts.memoryLimitMb > 0 ? { resourceLimits: { maxOldGenerationSizeMb: opts.memoryLimitMb } } : {}),
    terminateGraceMs: opts.terminateGraceMs,
    logger: opts.logger,
  });
  await executer.start();
  return { dir, manifest, fragments, executer };
}

/**
 * Closes an executer that gets no new calls once the calls it runs and holds
 * have finished, or at `maxWaitMs` (the server's call timeout: no call may
 * run longer), whichever comes first.
 */
export async function retireExecuter(executer: Executer, maxWaitMs: number): Promise<void> {
  const until = performance.now() + maxWaitMs;
  for (;;) {
    const s = executer.stats();
    if ((s.busy === 0 && s.queued === 0) || performance.now() >= until) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  await executer.close();
}
