/** Which groups' state survives a live redeploy: same group id and same stateVersion, nothing else. */
import { describe, expect, it } from "vitest";
import type { Manifest, ManifestGroup } from "../../../runtime/abi/manifest-types.js";
import { carriedGroups, stateResetGroups } from "../../../runtime/server/deploy/state-reset.js";

const part = { language: "typescript", record: "DcmState0", vars: [] } as unknown as ManifestGroup["state"][number];
const group = (id: string, stateVersion: string, withState = true): ManifestGroup => ({
  id,
  fragments: [id.replace("group-", "")],
  reasons: ["state"],
  state: withState ? [part] : [],
  stateVersion,
});
const manifest = (groups?: ManifestGroup[]): Manifest =>
  ({ manifestVersion: 1, buildKey: "k", createdBy: "t", fragments: [], modules: [], types: {}, ...(groups ? { groups } : {}) }) as Manifest;

describe("stateResetGroups / carriedGroups", () => {
  it("carries groups whose stateVersion is unchanged, resets changed and removed ones", () => {
    const before = manifest([group("group-a", "1"), group("group-b", "2"), group("group-c", "3")]);
    const after = manifest([group("group-a", "1"), group("group-b", "2x"), group("group-d", "4")]);
    expect(stateResetGroups(before, after)).toEqual(["group-b", "group-c"]);
    expect(carriedGroups(before, after)).toEqual(["group-a"]);
  });

  it("ignores groups without state (nothing to carry or reset) and dists without groups", () => {
    expect(stateResetGroups(manifest([group("cfd-only", "0", false)]), manifest())).toEqual([]);
    expect(stateResetGroups(manifest(), manifest([group("group-a", "1")]))).toEqual([]);
    expect(carriedGroups(manifest(), manifest())).toEqual([]);
  });

  it("matches by id: a renamed group with the same types still resets", () => {
    expect(stateResetGroups(manifest([group("group-a", "1")]), manifest([group("group-z", "1")]))).toEqual(["group-a"]);
  });
});
