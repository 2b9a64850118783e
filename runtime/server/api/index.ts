/** The server's API Controller (REST, separate credentials, OpenAPI 3.1). See docs/api.md. */
export { apiKeysFromEnv, generateApiKey, MIN_API_KEY_LENGTH } from "./auth.js";
export { type ApiControllerOptions, DEFAULT_PREFIX, DEFAULT_RATE_LIMIT, registerApiController } from "./controller.js";
export { ApiError, type ApiErrorBody, type ApiErrorCode } from "./errors.js";
export { buildOpenApiDocument } from "./openapi.js";
export { ROUTES, type RouteDef } from "./schemas.js";
