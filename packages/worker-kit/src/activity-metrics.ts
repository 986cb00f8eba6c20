import { ApplicationFailure } from '@temporalio/common';
import type { ActivityExecuteInput, ActivityInboundCallsInterceptor, ActivityInterceptorsFactory, Next } from '@temporalio/worker';
import type { Context } from '@temporalio/activity';
import { Counter, Histogram, type Registry } from 'prom-client';

export interface ActivityMetrics {
  executions: Counter<'role' | 'activity' | 'outcome'>;
  failures: Counter<'role' | 'activity' | 'error_type'>;
  retries: Counter<'role' | 'activity'>;
  duration: Histogram<'role' | 'activity' | 'outcome'>;
}

/** Our activity metrics (kunlun_activity_*), labelled by role, activity and error type. */
export function createActivityMetrics(registry: Registry): ActivityMetrics {
  return {
    executions: new Counter({
      name: 'kunlun_activity_executions_total',
      help: 'Activity attempts finished, by outcome (success, failure, cancelled).',
      labelNames: ['role', 'activity', 'outcome'],
      registers: [registry],
    }),
    failures: new Counter({
      name: 'kunlun_activity_failures_total',
      help: 'Activity attempts that failed, by error type.',
      labelNames: ['role', 'activity', 'error_type'],
      registers: [registry],
    }),
    retries: new Counter({
      name: 'kunlun_activity_retries_total',
      help: 'Activity attempts that were retries (attempt > 1).',
      labelNames: ['role', 'activity'],
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'kunlun_activity_duration_seconds',
      help: 'Activity attempt duration.',
      labelNames: ['role', 'activity', 'outcome'],
      buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers: [registry],
    }),
  };
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
  ) {}

  async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    const activity = this.ctx.info.activityType;
    const labels = { role: this.role, activity };
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
}

export function activityMetricsInterceptor(metrics: ActivityMetrics, role: string): ActivityInterceptorsFactory {
  return (ctx) => ({ inbound: new MetricsInbound(ctx, metrics, role) });
}
