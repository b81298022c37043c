// @mm/miniweb: the web view as a library (tests, tools embedding it).
export { API_ROUTES, type ApiRoute } from './api-routes.js';
export { authenticate, Sessions } from './auth.js';
export { createDaemonPool, type DaemonApi, type DaemonRunOptions } from './daemon.js';
export { MiniwebData } from './data.js';
export * from './errors.js';
export { FlagError, type MiniwebFlags, parseFlags } from './flags.js';
export { openApiDocument } from './openapi.js';
export * from './schemas.js';
export { ScreenshotCache, type Shot } from './screenshots.js';
export { createMiniweb, type Miniweb, type MiniwebOptions } from './server.js';
export { parseAdjacency, parseGoDuration, parseList, tableRows, vmFromRow } from './tables.js';
export {
  generateAdminToken,
  loadTokens,
  parseTokens,
  type TokenStore,
  tokenStore,
} from './tokens.js';
