// The gateway as a fastify plugin tree: tests build it and use inject(); only main.ts listens.
import { readFileSync } from 'node:fs';
import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { ClaimCheck } from '@kunlun/blobs';
import { CHART_ASSETS } from '@kunlun/charts';
import type { SimulationClient } from '@kunlun/client';
import { MALFORMED_TEXT_MESSAGE, malformedTextPath, simulationSpecJsonSchema } from '@kunlun/contracts';
import { createConsistencyMetrics } from '@kunlun/consistency';
import type { Client } from '@temporalio/client';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { RedisClient } from '@kunlun/infra';
import type { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { AuthFailures } from './auth-failures.js';
import { ClaimedTexts } from './claimed-texts.js';
import { authPlugin } from './auth.js';
import { clientAddressKey } from './client-address.js';
import type { GatewayConfig } from './env.js';
import { answerClientError, ApiError, documentErrors, errorHandler, frameworkError } from './errors.js';
import { RouteTable } from './route-table.js';
import { LiveHub } from './live.js';
import { ReadModel } from './read-model.js';
import { simulationScope, SimulationResolver } from './simulation-ref.js';
import { adminRoutes } from './routes/admin.js';
import { healthRoutes } from './routes/health.js';
import { simulationRoutes } from './routes/simulations.js';
import { verifyRoutes } from './routes/verify.js';

export interface GatewayDeps {
  config: Pick<
    GatewayConfig,
    | 'API_KEYS'
    | 'JWT_SECRET'
    | 'CORS_ORIGINS'
    | 'RATE_LIMIT_PER_MINUTE'
    | 'RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE'
    | 'BODY_LIMIT_BYTES'
    | 'TRUST_PROXY'
    | 'JWT_MAX_LIFETIME_SECONDS'
    | 'JWT_CLOCK_SKEW_SECONDS'
  > &
    Partial<
      Pick<
        GatewayConfig,
        | 'JWT_PUBLIC_KEY_FILE'
        | 'JWT_JWKS_URL'
        | 'JWT_JWKS_REFRESH_SECONDS'
        | 'JWT_ISSUER'
        | 'JWT_AUDIENCE'
        | 'CRITIC_POOLS'
        | 'SSE_MAX_STREAMS'
        | 'SSE_MAX_STREAMS_PER_CALLER'
        | 'SSE_MAX_LIFETIME_SECONDS'
        | 'OWNERSHIP_CACHE_SECONDS'
      >
    >;
  temporal: Client;
  sims: SimulationClient;
  redis: RedisClient;
  /** A second connection in subscriber mode (Redis pub/sub needs its own). */
  subscriber: RedisClient;
  /** Read by the consistency check (GET /v1/simulations/:id/verify) only. */
  kafka: Kafka;
  /** The events topic the orchestrator publishes to (EVENTS_TOPIC). */
  eventsTopic: string;
  registry: Registry;
  logger: Logger;
  /** Where claim-checked texts are read from (BLOB_*); absent with BLOB_STORE=none. */
  claimCheck?: ClaimCheck;
}

const PAGE_FILES: Record<string, string> = {
  '/': 'index.html',
  '/app.js': 'app.js',
  '/spec-form.js': 'spec-form.js',
  '/views.js': 'views.js',
  '/style.css': 'style.css',
};
const PAGE_TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
};

export async function buildApp(deps: GatewayDeps): Promise<FastifyInstance> {
  const { config } = deps;
  const app = Fastify({
    // The cast keeps the instance typed with fastify's base logger, like the route modules expect.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: config.BODY_LIMIT_BYTES,
    // One of the forms fastify takes (env.ts): a union fastify's overloads cannot pick by.
    trustProxy: config.TRUST_PROXY as boolean,
    // A client gets 30 s to send its whole request (headers and body; an SSE response may last far
    // longer): slow senders cannot hold connections for node's default 5 minutes.
    requestTimeout: 30_000,
    // Errors fastify and node answer before a route runs get the one error shape too.
    frameworkErrors: (err, req, reply) => void frameworkError(err, req, reply),
    clientErrorHandler: answerClientError,
    // Its own 503 body is not the error shape: requests that reach a closing gateway get ours (below).
    return503OnClosing: false,
  });
  // Requests still arriving on open connections while the gateway drains (a rolling restart):
  // 503 in the error shape, and the connection closes so the client reconnects to another replica.
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  app.addHook('onRequest', (_req, reply, done) => {
    if (!closing) return done();
    void reply.header('connection', 'close');
    done(new ApiError(503, 'unavailable', 'this gateway is shutting down; retry (another replica answers)'));
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler);
  // JSON only: any other body type is answered 415.
  app.removeContentTypeParser('text/plain');
  // Text the pipeline cannot carry (an unpaired UTF-16 surrogate) is refused at the door, naming
  // the field, before any route schema or handler sees it: every body and query string at once.
  app.addHook('preValidation', (req, _reply, done) => {
    for (const [where, value] of [
      ['body', req.body],
      ['querystring', req.query],
    ] as const) {
      const path = malformedTextPath(value);
      if (path !== null)
        return done(new ApiError(400, 'validation_error', `${where}.${path}: ${MALFORMED_TEXT_MESSAGE}`));
    }
    done();
  });
  // A path that exists under other methods is 405 with Allow, not 404.
  const routes = new RouteTable();
  app.addHook('onRoute', (route) => {
    routes.add(route.method, route.url);
    documentErrors(route);
  });

  const requests = new Histogram({
    name: 'kunlun_gateway_request_duration_seconds',
    help: 'HTTP requests by method, route and status.',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [deps.registry],
  });
  const sseClients = new Counter({
    name: 'kunlun_gateway_sse_connections_total',
    help: 'SSE streams opened.',
    registers: [deps.registry],
  });
  const openStreams = new Gauge({
    name: 'kunlun_gateway_sse_streams',
    help: 'SSE streams open now (this replica).',
    registers: [deps.registry],
  });
  app.addHook('onResponse', (req, reply, done) => {
    requests.observe(
      { method: req.method, route: req.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    done();
  });

  // External plugins first: security headers, CORS, rate limits, docs.
  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
      },
    },
  });
  await app.register(cors, { origin: config.CORS_ORIGINS.length ? config.CORS_ORIGINS : false });
  await app.register(authPlugin, {
    apiKeys: config.API_KEYS,
    jwt: {
      secret: config.JWT_SECRET,
      publicKey: config.JWT_PUBLIC_KEY_FILE ? readFileSync(config.JWT_PUBLIC_KEY_FILE, 'utf8') : undefined,
      jwksUrl: config.JWT_JWKS_URL,
      jwksRefreshSeconds: config.JWT_JWKS_REFRESH_SECONDS,
      issuers: config.JWT_ISSUER,
      audiences: config.JWT_AUDIENCE,
      maxLifetimeSeconds: config.JWT_MAX_LIFETIME_SECONDS,
      clockSkewSeconds: config.JWT_CLOCK_SKEW_SECONDS,
    },
    failures: new AuthFailures(deps.redis, config.RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE),
  });
  // Counted after authentication has said who calls (see auth.ts), before any verdict: per
  // caller (tenant and subject) when the credentials hold, else per client address, with a
  // lower limit. One count for all replicas in Redis; if Redis is down requests are not limited.
  await app.register(rateLimit, {
    timeWindow: '1 minute',
    keyGenerator: (req) =>
      req.principal && !req.authRefusal
        ? `caller:${req.principal.tenant}:${req.principal.subject}`
        : `addr:${clientAddressKey(req)}`,
    max: (_req, key) =>
      key.startsWith('caller:') ? config.RATE_LIMIT_PER_MINUTE : config.RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE,
    redis: deps.redis,
    nameSpace: 'kunlun-ratelimit:',
    skipOnError: true,
    errorResponseBuilder: (_req, ctx) =>
      new ApiError(
        429,
        'rate_limited',
        `rate limit of ${ctx.max} requests per ${ctx.after} exceeded; retry after ${Math.ceil(ctx.ttl / 1000)} s`,
      ),
  });
  // After the rate limit: probing for routes is counted per address like any unauthenticated request.
  app.setNotFoundHandler({ preHandler: app.rateLimit() }, (req, reply) => {
    const path = req.url.split('?')[0]!;
    const allowed = routes.methodsOf(path);
    if (allowed.length > 0) {
      void reply.header('allow', allowed.join(', '));
      return errorHandler(
        new ApiError(
          405,
          'method_not_allowed',
          `${req.method} is not allowed on ${path}; allowed: ${allowed.join(', ')}`,
        ),
        req,
        reply,
      );
    }
    return errorHandler(new ApiError(404, 'not_found', `no route ${req.method} ${path}`), req, reply);
  });
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Kunlun Mirror API',
        version: '1.0.0',
        description: 'Start, watch and steer dialectical simulations.',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'API key or JWT (claims sub, tenant, role)' },
        },
      },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  const live = new LiveHub(deps.subscriber);
  new Gauge({
    name: 'kunlun_gateway_live_subscriptions',
    help: 'Simulations this replica holds a Redis pub/sub subscription for (one per watched simulation, however many streams).',
    registers: [deps.registry],
    collect() {
      this.set(live.size);
    },
  });
  const readModel = new ReadModel(deps.redis);
  const consistencyMetrics = createConsistencyMetrics(deps.registry);
  await app.register(
    (v1, _opts, done) => {
      v1.addHook('onRequest', (req, _reply, next) => {
        if (req.url.includes('/events')) sseClients.inc();
        next();
      });
      // Before the routes, so every /simulations/:id… route is scoped to the caller's own.
      const resolver = new SimulationResolver(deps.sims, readModel, (config.OWNERSHIP_CACHE_SECONDS ?? 30) * 1000);
      simulationScope(v1, resolver, '/v1');
      simulationRoutes(v1, {
        sims: deps.sims,
        readModel,
        resolver,
        texts: new ClaimedTexts(deps.claimCheck),
        live,
        criticPools: config.CRITIC_POOLS,
        openStreams,
        sse: {
          ...(config.SSE_MAX_STREAMS ? { maxStreams: config.SSE_MAX_STREAMS } : {}),
          ...(config.SSE_MAX_STREAMS_PER_CALLER ? { maxStreamsPerCaller: config.SSE_MAX_STREAMS_PER_CALLER } : {}),
          ...(config.SSE_MAX_LIFETIME_SECONDS ? { maxLifetimeMs: config.SSE_MAX_LIFETIME_SECONDS * 1000 } : {}),
        },
      });
      verifyRoutes(v1, {
        stores: {
          temporal: deps.temporal,
          kafka: deps.kafka,
          topic: deps.eventsTopic,
          redis: deps.redis,
          ...(deps.claimCheck ? { blobs: deps.claimCheck.store } : {}),
        },
        metrics: consistencyMetrics,
      });
      adminRoutes(v1, { redis: deps.redis });
      done();
    },
    { prefix: '/v1' },
  );
  healthRoutes(app, { temporal: deps.temporal, redis: deps.redis, registry: deps.registry });

  // The web page: static files read once at start-up.
  for (const [url, file] of Object.entries(PAGE_FILES)) {
    const body = readFileSync(new URL(`../public/${file}`, import.meta.url));
    const type = PAGE_TYPES[file.split('.').pop()!]!;
    app.get(url, { schema: { hide: true } }, (_req, reply) => reply.type(type).send(body));
  }
  // What a spec may say (the start body, spec files): editors and the page's start form read it.
  const specSchema = JSON.stringify(simulationSpecJsonSchema());
  app.get('/simulation-spec.schema.json', { schema: { hide: true } }, (_req, reply) =>
    reply.type('application/schema+json; charset=utf-8').send(specSchema),
  );
  // The charting library (pinned: browsers may keep it a day) and our charts (asked again, like app.js).
  for (const asset of CHART_ASSETS) {
    const body = readFileSync(asset.path);
    const cache = asset.url.startsWith('/vendor/') ? 'public, max-age=86400' : 'no-cache';
    app.get(asset.url, { schema: { hide: true } }, (_req, reply) =>
      reply.type(PAGE_TYPES.js!).header('cache-control', cache).send(body),
    );
  }
  return app;
}
