/**
 * Fragment Registry: what the dist's manifest offers — every fragment, where
 * it may run (a module for that side holds it), and the distribution new
 * clients start with (the CFD's runOn, changed through setDefaults).
 */
import type { Manifest, ManifestFragment, ManifestGroup, ManifestModule, Side } from "../abi/manifest-types.js";
import { Distribution } from "./distribution.js";
import { DistributorError } from "./distributor-error.js";
import { expandGroupChanges, groupIndex, joinGroupDefaults } from "./state/group-placement.js";

export function isSide(v: unknown): v is Side {
  return v === "client" || v === "server";
}

export class FragmentRegistry {
  private readonly byId: Map<string, ManifestFragment>;
  private readonly defaults = new Map<string, Side>();
  /** The defaults new clients share (copy-on-write: Distribution); replaced when they change. */
  private snapshot: ReadonlyMap<string, Side> | null = null;
  /** The modules the server runs, one per language. */
  readonly serverModules: ManifestModule[];
  /** Entry-point fragment -> its group (fragments that move as one). */
  readonly groups: Map<string, ManifestGroup>;
  /** Groups the CFD placed on both sides, joined on one (logged by the distributor). */
  readonly joinedGroups: Array<{ group: string; side: Side }>;

  constructor(
    readonly manifest: Manifest,
    readonly serverTarget: "native" | "wasm",
  ) {
    this.byId = new Map(manifest.fragments.map((f) => [f.id, f]));
    // A fragment without runOn is a dependency: it is in no distribution.
    for (const f of manifest.fragments) if (f.runOn) this.defaults.set(f.id, f.runOn);
    // Per language: the module of the configured target, else a portable one (a
    // language without native plugins runs its wasm or js module on the server).
    const onServer = manifest.modules.filter((m) => m.sides.includes("server") || m.target !== "native");
    const rank = (m: ManifestModule) => (m.target === serverTarget ? 0 : m.target === "wasm" ? 1 : m.target === "js" ? 2 : 3);
    const best = new Map<string, ManifestModule>();
    for (const m of onServer) {
      const cur = best.get(m.language);
      if (rank(m) < 3 && (!cur || rank(m) < rank(cur))) best.set(m.language, m);
    }
    this.serverModules = [...best.values()];
    this.groups = groupIndex(manifest);
    this.joinedGroups = joinGroupDefaults(manifest, this.defaults, (id, side) => this.moduleFor(id, side) !== undefined).joined;
  }

  ids(): string[] {
    return [...this.byId.keys()];
  }

  get(id: string): ManifestFragment | undefined {
    return this.byId.get(id);
  }

  /** The module that runs fragment `id` on `side`, if any (only callable fragments need one). */
  moduleFor(id: string, side: Side): ManifestModule | undefined {
    if (side === "server") return this.serverModules.find((m) => m.fragments.includes(id));
    return this.manifest.modules.find(
      (m) => m.target !== "native" && m.sides.includes("client") && m.fragments.includes(id),
    );
  }

  /** Throws DistributorError unless fragment `id` exists and may be placed on `side`. */
  checkPlacement(id: string, side: unknown): asserts side is Side {
    const f = this.byId.get(id);
    if (!f) {
      throw new DistributorError(
        "DCM_UNKNOWN_FRAGMENT",
        `no fragment ${JSON.stringify(id)} (fragments: ${this.ids().join(", ")})`,
        404,
      );
    }
    if (!isSide(side))
      throw new DistributorError(
        "DCM_INVALID_SIDE",
        `location must be "client" or "server", got ${JSON.stringify(side)}`,
      );
    if (!f.signature) {
      // A type, a variable, or a signature that cannot cross: there is nothing to call on either side.
      const why = this.refusal(id)!;
      throw new DistributorError(
        "DCM_NOT_CALLABLE",
        `fragment ${JSON.stringify(id)} cannot be moved: ${why}. Only functions and methods that can be called move between client and server.`,
        400,
      );
    }
    if (!this.moduleFor(id, side)) {
      const what = side === "server" ? `${this.serverTarget} server module` : "client WASM module";
      throw new DistributorError(
        "DCM_NO_MODULE_FOR_SIDE",
        `no ${what} holds fragment ${JSON.stringify(id)}: rebuild the dist to run it on the ${side}`,
        409,
      );
    }
  }

  /** Whether fragment `id` exists, is callable and has a module on `side` (checkPlacement without the error). */
  canPlace(id: string, side: Side): boolean {
    return this.byId.get(id)?.signature !== undefined && this.moduleFor(id, side) !== undefined;
  }

  /** Why fragment `id` cannot be called (DCM_NOT_CALLABLE's message), or undefined when it can. */
  refusal(id: string): string | undefined {
    const f = this.byId.get(id);
    if (!f || f.signature) return undefined;
    return f.notCallable ?? `fragment \`${id}\` is a ${f.kind}, not a function or method`;
  }

  getDefaults(): Record<string, Side> {
    return Object.fromEntries(this.defaults);
  }

  /** Validates every change first, then applies them all. */
  setDefaults(changes: Record<string, Side>): Record<string, Side> {
    for (const [id, side] of Object.entries(changes)) this.checkPlacement(id, side);
    // A group's members follow it (new clients need no transfer: their state starts from the initial values).
    const all = new Map(Object.entries(changes));
    expandGroupChanges(all, this.groups);
    for (const [id, side] of all) this.checkPlacement(id, side);
    for (const [id, side] of all) this.defaults.set(id, side);
    this.snapshot = null;
    return this.getDefaults();
  }

  /** A fresh distribution from the defaults. */
  initialDistribution(): Distribution {
    this.snapshot ??= new Map(this.defaults);
    return new Distribution(this.snapshot);
  }
}
