// Fault injection for demos and chaos tests: latency (heartbeating while it waits, so a
// killed worker is noticed through the heartbeat timeout) and a random error rate.
import { AgentErrorType } from '@kunlun/contracts';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';

export interface FaultConfig {
  errorRate: number;
  latencyMs: number;
  /** Where the failures fall: independent draws (default), or spread evenly, so any run of calls fails at the rate to within a call or two. */
  spread?: 'random' | 'even';
}

/**
 * A deterministic sequence evenly spread over [0, 1): the golden-ratio additive recurrence (of its
 * first n values, rate × n ± 3 fall below any threshold). For chaos tests that must read the
 * injected rate back rather than the rate plus sampling noise.
 */
export function evenSequence(start = 0): () => number {
  let x = start;
  return () => {
    x = (x + 0.6180339887498949) % 1;
    return x;
  };
}

export async function injectFaults(faults: FaultConfig, random: () => number = Math.random): Promise<void> {
  if (faults.latencyMs > 0) {
    const ctx = Context.current();
    const slice = Math.max(100, Math.min(1_000, (ctx.info.heartbeatTimeoutMs ?? 3_000) / 3));
    let left = faults.latencyMs;
    while (left > 0) {
      ctx.heartbeat({ injectedLatencyLeftMs: left });
      const d = Math.min(slice, left);
      await ctx.sleep(d); // rejects on cancellation
      left -= d;
    }
  }
  if (faults.errorRate > 0 && random() < faults.errorRate) {
    throw ApplicationFailure.create({
      type: AgentErrorType.InjectedFault,
      message: `injected fault (error rate ${faults.errorRate})`,
    });
  }
}
