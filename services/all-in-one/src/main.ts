// services/all-in-one (KUNLUN_MODE=all-in-one): every deployable in one process — the
// orchestrator, each agent role, the recorder and the gateway — each still polling its own task
// queue (spec §8: small machines, the demo). One logger, one metrics registry (the gateway serves
// it at /metrics, the recorder's probes at METRICS_PORT), one Temporal runtime; SIGTERM drains
// the gateway first and the recorder last. Every component reads the same env as on its own.
import { agentService } from '@kunlun/agents';
import { AGENT_ROLES } from '@kunlun/contracts';
import { gatewayService } from '@kunlun/gateway';
import { orchestratorService } from '@kunlun/orchestrator';
import { recorderService } from '@kunlun/recorder';
import { runService, type ServiceOptions } from '@kunlun/telemetry';
import { workerService } from '@kunlun/worker-kit';

type Component = ServiceOptions<{ LOG_LEVEL: string; METRICS_HOST: string; METRICS_PORT: number }>;

// Shutdown hooks run in reverse: the recorder, registered first, drains last.
const components = [
  recorderService,
  workerService(orchestratorService),
  ...AGENT_ROLES.map((role) => workerService(agentService(role))),
  gatewayService,
] as unknown as Component[];

await runService({
  name: 'kunlun-mirror',
  loadConfig: () => {
    const configs = components.map((c) => c.loadConfig());
    const { LOG_LEVEL, METRICS_HOST, METRICS_PORT } = configs[0]!;
    return { LOG_LEVEL, METRICS_HOST, METRICS_PORT, configs };
  },
  metricsServer: false, // the recorder's probe server and the gateway serve the shared registry
  start: async (ctx) => {
    const waiting = new Set(components.map((c) => c.name));
    await Promise.all(
      components.map((c, i) =>
        c.start({
          config: ctx.config.configs[i]!,
          logger: ctx.logger.child({ component: c.name }),
          registry: ctx.registry,
          onShutdown: ctx.onShutdown,
          // Ready once every component is: until then /readyz (the recorder's) and the log wait.
          markReady: (fields = {}, message = 'ready') => {
            ctx.logger.info({ component: c.name, ...fields }, message);
            waiting.delete(c.name);
            if (waiting.size === 0)
              ctx.markReady({ components: components.map((x) => x.name) }, 'all components running');
          },
        }),
      ),
    );
  },
});
