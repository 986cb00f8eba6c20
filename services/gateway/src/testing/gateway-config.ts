// The config every gateway test starts from, with no store behind it: the callers (API keys,
// the JWT secret) and limits no test meets by accident. The offline app and the full stack
// (stack.ts) both build the gateway from it.
import { storedSimulationId } from '@kunlun/contracts';
import type { GatewayDeps } from '../app.js';
import type { GatewayConfig } from '../env.js';

export const KEYS = {
  operator: 'op-key-tenant-a-0123456789',
  viewer: 'viewer-key-tenant-a-0123456789',
  admin: 'admin-key-tenant-a-0123456789',
  otherTenant: 'op-key-tenant-b-0123456789',
} as const;

export const API_KEYS: GatewayConfig['API_KEYS'] = [
  { key: KEYS.operator, principal: { subject: 'alice', tenant: 'tenant-a', role: 'operator' } },
  { key: KEYS.viewer, principal: { subject: 'victor', tenant: 'tenant-a', role: 'viewer' } },
  { key: KEYS.admin, principal: { subject: 'ada', tenant: 'tenant-a', role: 'admin' } },
  { key: KEYS.otherTenant, principal: { subject: 'bob', tenant: 'tenant-b', role: 'operator' } },
];

/** Where the stores hold a simulation the API created for `tenant` (KEYS.operator's by default). */
export const stored = (publicId: string, tenant = 'tenant-a'): string => storedSimulationId(tenant, publicId);

export const JWT_SECRET = 'test-secret-test-secret-test-secret-42';

export function testGatewayConfig(overrides: Partial<GatewayConfig> = {}): GatewayDeps['config'] {
  return {
    API_KEYS,
    JWT_SECRET,
    CORS_ORIGINS: [],
    RATE_LIMIT_PER_MINUTE: 10_000,
    RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE: 10_000,
    BODY_LIMIT_BYTES: 64 * 1024,
    TRUST_PROXY: false,
    JWT_MAX_LIFETIME_SECONDS: 24 * 3600,
    JWT_CLOCK_SKEW_SECONDS: 30,
    ...overrides,
  };
}
