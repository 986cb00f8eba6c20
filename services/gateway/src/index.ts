export { buildApp, type GatewayDeps } from './app.js';
export { gatewayEnv, type GatewayConfig } from './env.js';
export { gatewayService } from './service.js';
