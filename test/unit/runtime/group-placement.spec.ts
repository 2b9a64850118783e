/** Groups move as one (runtime/server/state/group-placement.ts): expansion of placement changes, split refusal, CFD-split defaults. */
import { describe, expect, it } from "vitest";
import type { Manifest, ManifestGroup, Side } from "../../../runtime/abi/manifest-types.js";
import { expandGroupChanges, groupIndex, joinGroupDefaults } from "../../../runtime/server/state/group-placement.js";

const group = (id: string, fragments: string[], reasons: ManifestGroup["reasons"] = ["state"]): ManifestGroup => ({
  id,
  fragments,
  reasons,
  state: [],
  stateVersion: "v",
});
const manifest = {
  groups: [group("group-a", ["a1", "a2", "a3"]), group("g-cfd", ["c1", "c2"], ["cfd"])],
} as unknown as Manifest;

describe("group placement", () => {
  it("adds every member of a named fragment's group, and leaves other fragments alone", () => {
    const m = new Map<string, Side>([
      ["a2", "client"],
      ["x", "server"],
    ]);
    expandGroupChanges(m, groupIndex(manifest));
    expect(Object.fromEntries(m)).toEqual({ a1: "client", a2: "client", a3: "client", x: "server" });
  });

  it("refuses two members of one group on different sides, naming the group, its members and the reason", () => {
    const m = new Map<string, Side>([
      ["c1", "client"],
      ["c2", "server"],
    ]);
    expect(() => expandGroupChanges(m, groupIndex(manifest), "client 7: ")).toThrow(
      /client 7: fragments `c1` \(to client\) and `c2` \(to server\) are in group `g-cfd` \(c1, c2\).*CFD's `group:`/,
    );
    expect(() => expandGroupChanges(m, groupIndex(manifest))).toThrow(
      expect.objectContaining({ code: "DCM_GROUP_SPLIT", status: 400 }),
    );
  });

  it("joins a group the CFD split on the server, unless a member has no server module", () => {
    const defaults = new Map<string, Side>([
      ["a1", "server"],
      ["a2", "client"],
      ["a3", "client"],
      ["c1", "client"],
      ["c2", "client"],
    ]);
    const { joined } = joinGroupDefaults(manifest, defaults, () => true);
    expect(joined).toEqual([{ group: "group-a", side: "server" }]);
    expect([defaults.get("a2"), defaults.get("a3"), defaults.get("c1")]).toEqual(["server", "server", "client"]);
    const d2 = new Map<string, Side>([
      ["a1", "server"],
      ["a2", "client"],
    ]);
    joinGroupDefaults(manifest, d2, (id, side) => !(id === "a2" && side === "server"));
    expect(Object.fromEntries(d2)).toEqual({ a1: "client", a2: "client" });
  });
});
