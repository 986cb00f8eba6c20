import { ApplicationFailure } from '@temporalio/common';
import type {
  ActivityExecuteInput,
  ActivityInboundCallsInterceptor,
  ActivityInterceptorsFactory,
  Next,
} from '@temporalio/worker';
import type { Context } from '@temporalio/activity';
import { Counter, Histogram, type Registry } from 'prom-client';

/** Labels every activity metric carries: Temporal namespace, agent role, critic pool (critics only), activity type. */
type Base = 'namespace' | 'role' | 'pool' | 'activity';

export interface ActivityMetrics {
  executions: Counter<Base | 'outcome'>;
  failures: Counter<Base | 'error_type'>;
  retries: Counter<Base>;
  duration: Histogram<Base | 'outcome'>;
}

const OUTCOMES = ['success', 'failure', 'cancelled'] as const;

/**
 * Our activity metrics (kunlun_activity_*; docs/metrics.md), labelled by namespace, role, pool,
 * activity, and outcome or error type.
 */
/** One set per registry: the services of an all-in-one process share theirs. */
const byRegistry = new WeakMap<Registry, ActivityMetrics>();

export function createActivityMetrics(registry: Registry): ActivityMetrics {
  let metrics = byRegistry.get(registry);
  if (!metrics) byRegistry.set(registry, (metrics = newActivityMetrics(registry)));
  return metrics;
}

function newActivityMetrics(registry: Registry): ActivityMetrics {
  const base: Base[] = ['namespace', 'role', 'pool', 'activity'];
  return {
    executions: new Counter({
      name: 'kunlun_activity_executions_total',
      help: 'Activity attempts finished, by outcome (success, failure, cancelled).',
      labelNames: [...base, 'outcome'],
      registers: [registry],
    }),
    failures: new Counter({
      name: 'kunlun_activity_failures_total',
      help: 'Activity attempts that failed, by error type.',
      labelNames: [...base, 'error_type'],
      registers: [registry],
    }),
    retries: new Counter({
      name: 'kunlun_activity_retries_total',
      help: 'Activity attempts that were retries (attempt > 1).',
      labelNames: base,
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'kunlun_activity_duration_seconds',
      help: 'Activity attempt duration.',
      labelNames: [...base, 'outcome'],
      buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers: [registry],
    }),
  };
}

/** The critic pool a task queue serves (`kunlun.agent.critic.<pool>`); empty (no label) for other queues. */
export function poolOfTaskQueue(taskQueue: string): string {
  return /^kunlun\.agent\.critic\.(.+)$/.exec(taskQueue)?.[1] ?? '';
}

function errorType(err: unknown): string {
  if (err instanceof ApplicationFailure) return err.type ?? 'ApplicationFailure';
  if (err instanceof Error) return err.name || 'Error';
  return 'Unknown';
}

class MetricsInbound implements ActivityInboundCallsInterceptor {
  constructor(
    private readonly ctx: Context,
    private readonly metrics: ActivityMetrics,
    private readonly role: string,
    private readonly seen: Set<string>,
  ) {}

  async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    const { info } = this.ctx;
    const labels = {
      namespace: info.namespace,
      role: this.role,
      pool: poolOfTaskQueue(info.taskQueue),
      activity: info.activityType,
    };
    this.initialise(labels);
    if (this.ctx.info.attempt > 1) this.metrics.retries.inc(labels);
    const end = this.metrics.duration.startTimer(labels);
    try {
      const result = await next(input);
      this.metrics.executions.inc({ ...labels, outcome: 'success' });
      end({ outcome: 'success' });
      return result;
    } catch (err) {
      const cancelled = this.ctx.cancellationSignal.aborted;
      const outcome = cancelled ? 'cancelled' : 'failure';
      this.metrics.executions.inc({ ...labels, outcome });
      if (!cancelled) this.metrics.failures.inc({ ...labels, error_type: errorType(err) });
      end({ outcome });
      throw err;
    }
  }

  /**
   * The first time a label set is seen, its counters start at 0 for every outcome, so rates
   * and ratios (failure rate, retry rate) exist for healthy activities too, not only failing ones.
   */
  private initialise(labels: Record<Base, string>): void {
    const key = JSON.stringify(labels);
    if (this.seen.has(key)) return;
    this.seen.add(key);
    for (const outcome of OUTCOMES) this.metrics.executions.inc({ ...labels, outcome }, 0);
    this.metrics.retries.inc(labels, 0);
  }
}

export function activityMetricsInterceptor(metrics: ActivityMetrics, role: string): ActivityInterceptorsFactory {
  const seen = new Set<string>();
  return (ctx) => ({ inbound: new MetricsInbound(ctx, metrics, role, seen) });
}
