// Compares the three stores' views of one simulation: every disagreement becomes a divergence
// that says what differs and what each store holds. Pure: tests feed it views directly.
import { STORES, type RoundView, type Store, type StoreView } from './views.js';

export interface Divergence {
  /** What was compared: `state`, `round 3`, `counter roundsCompleted`, `report`, `event log`, … */
  what: string;
  message: string;
  /** What each store holds for it (absent: the store was not asked or has no opinion). */
  seen: Partial<Record<Store, unknown>>;
}

export interface StoreViews {
  temporal: StoreView;
  topic: StoreView;
  redis: StoreView;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** One value that every store with an opinion must agree on. */
function agree(out: Divergence[], what: string, values: Partial<Record<Store, unknown>>): void {
  const known = STORES.filter((s) => values[s] !== undefined);
  if (known.every((s) => same(values[s], values[known[0]!]))) return;
  out.push({
    what,
    seen: values,
    message: `${what} differs: ${known.map((s) => `${s} ${JSON.stringify(values[s])}`).join(', ')}`,
  });
}

function roundText(r: RoundView | undefined): string {
  if (!r) return 'absent';
  return `${r.status}${r.score !== undefined ? ` score ${r.score}` : ''} line ${r.generation}${r.digest ? ` #${r.digest}` : ''}`;
}

export function compareViews(v: StoreViews): Divergence[] {
  const out: Divergence[] = [];
  agree(out, 'exists', { temporal: v.temporal.exists, topic: v.topic.exists, redis: v.redis.exists });
  if (!v.temporal.exists && !v.topic.exists && !v.redis.exists) return out;
  agree(out, 'tenant', {
    ...(v.temporal.exists ? { temporal: v.temporal.tenant } : {}),
    ...(v.topic.exists ? { topic: v.topic.tenant } : {}),
    ...(v.redis.exists ? { redis: v.redis.tenant } : {}),
  });
  agree(out, 'state', { temporal: v.temporal.state, topic: v.topic.state, redis: v.redis.state });
  agree(out, 'generation', { temporal: v.temporal.generation, topic: v.topic.generation, redis: v.redis.generation });

  const numbers = [...new Set([...v.temporal.rounds.keys(), ...v.topic.rounds.keys(), ...v.redis.rounds.keys()])].sort(
    (a, b) => a - b,
  );
  for (const n of numbers) {
    const [t, k, r] = [v.temporal.rounds.get(n), v.topic.rounds.get(n), v.redis.rounds.get(n)];
    const problems: string[] = [];
    const views = { temporal: t, topic: k, redis: r };
    const present = STORES.filter((s) => views[s]);
    if (present.length < 3) problems.push(`missing in ${STORES.filter((s) => !views[s]).join(' and ')}`);
    for (const field of ['status', 'generation', 'score', 'verdict'] as const) {
      const vals = present.map((s) => views[s]![field]).filter((x) => x !== undefined);
      if (vals.some((x) => x !== vals[0])) problems.push(`${field} differs`);
    }
    const digests = present.map((s) => views[s]!.digest).filter((d): d is string => d !== undefined);
    if (digests.some((d) => d !== digests[0])) problems.push('content differs');
    if (problems.length) {
      out.push({
        what: `round ${n}`,
        seen: { temporal: roundText(t), topic: roundText(k), redis: roundText(r) },
        message: `round ${n}: ${problems.join('; ')} (temporal ${roundText(t)}; topic ${roundText(k)}; redis ${roundText(r)})`,
      });
    }
  }
  for (const c of ['roundsCompleted', 'roundsSkipped'] as const)
    agree(out, `counter ${c}`, { temporal: v.temporal[c], topic: v.topic[c], redis: v.redis[c] });
  agree(out, 'branches', {
    temporal: v.temporal.branches ?? undefined,
    topic: v.topic.branches ?? undefined,
    redis: v.redis.branches ?? undefined,
  });
  agree(out, 'report', {
    ...(v.temporal.state === 'completed' ? { temporal: v.temporal.report } : {}),
    topic: v.topic.report,
    redis: v.redis.report,
  });
  // Why it failed, as status, the event and the read model say it (the page and the CLI show it).
  // Temporal's is left out when the event carries none: it was published before failures were described.
  agree(out, 'failure', {
    ...(v.temporal.state === 'failed' && v.topic.failure !== null ? { temporal: v.temporal.failure } : {}),
    topic: v.topic.failure,
    redis: v.redis.failure,
  });
  // What was spent, as status, the newest event and the read model say (a store that does not say is left out:
  // workers from before spend was kept, or a simulation that has not published since).
  agree(out, 'spend', {
    ...(v.temporal.spend !== null && v.topic.spend !== null ? { temporal: v.temporal.spend } : {}),
    ...(v.topic.spend !== null ? { topic: v.topic.spend } : {}),
    ...(v.topic.spend !== null || v.redis.spend !== null ? { redis: v.redis.spend } : {}),
  });
  if (v.topic.seqs && v.redis.seqs) {
    const inRedis = new Set(v.redis.seqs);
    const inTopic = new Set(v.topic.seqs);
    const missing = v.topic.seqs.filter((s) => !inRedis.has(s));
    const extra = v.redis.seqs.filter((s) => !inTopic.has(s));
    if (missing.length || extra.length) {
      out.push({
        what: 'event log',
        seen: { topic: v.topic.seqs.length, redis: v.redis.seqs.length },
        message: `event log: ${missing.length ? `seq ${missing.join(', ')} on the topic but not in the read model's log` : ''}${missing.length && extra.length ? '; ' : ''}${extra.length ? `seq ${extra.join(', ')} in the read model's log but not on the topic` : ''}`,
      });
    }
  }
  return out;
}
