/**
 * The server Code Distributor. See docs/protocol.md.
 *
 *   import { createDcmServer } from "./runtime/server/index.js";       // a whole fastify server
 *   await app.register(dcmDistributor, opts);                          // into your fastify app
 *   const d = await registerDistributor(app, opts);                    // the same, returning the Distributor
 *   const { distributor, handleRequest } = await attachDistributor(httpServer, opts);   // plain node:http
 *   await distributor.deploy("./dist-v2");                             // live redeploy (docs/redeploy.md)
 */
export { type AttachedDistributor, attachDistributor } from "./attach.js";
export type { AccessClaims, AuthOptions, AuthRequestInfo, IssuedAccess, SessionSubject, SigningKey } from "./auth.js";
export { kidFor } from "./auth.js";
export { REFRESH_COOKIE } from "./auth-http.js";
export type { ClientInfo, DistributorControl, FragmentStats, SideStats } from "./control-types.js";
export {
  createDcmServer,
  type DcmServer,
  type DcmServerContext,
  type DcmServerExtension,
  type DcmServerOptions,
} from "./create-server.js";
export type { CallOnClientOptions, CallOnClientResult } from "./client-calls.js";
export type { DeployResult } from "./deploy/deploy-types.js";
export { stateResetGroups } from "./deploy/state-reset.js";
export { createDistributor, Distributor } from "./distributor.js";
export { DistributorError } from "./distributor-error.js";
export type { ExecuterStats } from "./executer.js";
export type { DistributorOptions, Logger } from "./options.js";
export { type DcmPluginOptions, dcmDistributor, registerDistributor } from "./plugin.js";
