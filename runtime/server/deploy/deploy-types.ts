/** What a live redeploy answers (types only): `distributor.deploy`, `PUT <prefix>/api/dist`, `dcm deploy`. */

export interface DeployResult {
  /** The new dist's manifest buildKey. */
  id: string;
  /** The buildKey of the dist it replaced. */
  previous: string;
  /** Connected clients told to switch (an `updateFragments` with `deploy`). */
  clients: number;
  /** Groups whose state restarts from its initial values (state types changed, or the group is gone). */
  stateReset: string[];
  /** Fragment ids the new dist adds and removes, sorted. */
  added: string[];
  removed: string[];
}
