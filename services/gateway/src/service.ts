// The gateway's service: the HTTP API, live updates and the web page. Its own process (main.ts)
// or a part of the all-in-one one.
import { claimCheckFromEnv } from '@kunlun/blobs';
import { SimulationClient } from '@kunlun/client';
import { connectTemporal, createKafka, createRedisClient } from '@kunlun/infra';
import type { ServiceOptions } from '@kunlun/telemetry';
import { buildApp } from './app.js';
import { loadGatewayConfig, type GatewayConfig } from './env.js';

export const gatewayService: ServiceOptions<GatewayConfig> = {
  name: 'gateway',
  loadConfig: () => loadGatewayConfig(),
  metricsServer: false, // /metrics is served on the API port
  start: async ({ config, logger, registry, onShutdown, markReady }) => {
    const { connection, client } = await connectTemporal({
      address: config.TEMPORAL_ADDRESS,
      namespace: config.TEMPORAL_NAMESPACE,
      security: config,
    });
    onShutdown(() => connection.close());
    const endpoint = { url: config.REDIS_URL, clusterNodes: config.REDIS_CLUSTER_NODES };
    const redis = createRedisClient({ ...endpoint, logger, name: 'gateway' });
    const subscriber = createRedisClient({ ...endpoint, logger, name: 'gateway-live' });
    onShutdown(() => Promise.all([redis.quit(), subscriber.quit()]).then(() => undefined));
    // Only the consistency check uses Kafka: each check opens and closes its own reader of the events topic.
    const kafka = createKafka({
      brokers: config.KAFKA_BROKERS,
      clientId: config.KAFKA_CLIENT_ID,
      logger,
      security: config,
    });
    if (config.API_KEYS.length === 0 && !config.JWT_SECRET && !config.JWT_PUBLIC_KEY_FILE && !config.JWT_JWKS_URL)
      logger.warn('no API_KEYS, JWT_SECRET, JWT_PUBLIC_KEY_FILE or JWT_JWKS_URL: every /v1 request will be refused');
    const claimCheck = claimCheckFromEnv(config);
    if (claimCheck) onShutdown(() => claimCheck.store.close());
    const app = await buildApp({
      config,
      ...(claimCheck ? { claimCheck } : {}),
      temporal: client,
      sims: new SimulationClient(client),
      redis,
      subscriber,
      kafka,
      eventsTopic: config.EVENTS_TOPIC,
      registry,
      logger,
    });
    await app.listen({ host: config.HOST, port: config.PORT });
    markReady({ url: `http://${config.HOST}:${config.PORT}/` }, 'gateway listening');
    await new Promise<void>((resolve) => onShutdown(() => app.close().then(resolve)));
  },
};
