// /v1/simulations: create, list, get, rounds, report, live events, every control, cancel and terminate.
import { RoundsPageCache } from '../rounds-cache.js';
import { createHash, randomUUID } from 'node:crypto';
import { SimulationExistsError, type SimulationClient } from '@kunlun/client';
import {
  criticPool,
  DEFAULT_AGENTS,
  lineageTree,
  type AgentSpec,
  type FinalReport,
  type LiveUpdate,
  type SimulationStatus,
} from '@kunlun/contracts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from '../auth.js';
import { ApiError, ErrorBodySchema, notFound } from '../errors.js';
import { jsonWithPublicIds, withPublicIds, type SimulationResolver } from '../simulation-ref.js';
import { OrderedEventStream, sseDefaults, tokenDelta, type LiveHub, type SseOptions } from '../live.js';
import type { ReadModel } from '../read-model.js';
import type { ClaimedTexts } from '../claimed-texts.js';
import {
  BranchesResponse,
  CreatedResponse,
  CreateSimulationBody,
  EmptyBody,
  EventsQuery,
  ListQuery,
  ListResponse,
  OkResponse,
  ReportResponse,
  RoundsQuery,
  RoundsResponse,
  SimulationIdParams,
  SimulationResponse,
  TerminateBody,
  toSummary,
} from '../schemas.js';
import { controlRoutes } from './controls.js';

export interface SimulationRoutesDeps {
  sims: SimulationClient;
  readModel: ReadModel;
  live: LiveHub;
  /** SSE timing (safety poll, how long a gap is held); defaults: sseDefaults in live.ts. */
  sse?: Partial<SseOptions>;
  /** Critic pools some deployment serves (CRITIC_POOLS); a critic sent elsewhere would wait until it times out. Unset: not checked. */
  criticPools?: string[] | undefined;
  resolver: SimulationResolver;
  /** Expands claim-checked texts in what rounds and reports answer. */
  texts: ClaimedTexts;
  /** Set to the number of open streams whenever it changes. */
  openStreams?: { set(n: number): void };
  /** Rendered rounds pages until the simulation records something new (default: one over `live`). */
  roundsCache?: RoundsPageCache;
}

/** `agents.3.pool: …` when a critic is sent to a pool nobody serves, else null. */
function unservedPool(agents: AgentSpec[], pools: string[]): string | null {
  for (const [i, a] of agents.entries()) {
    if (a.role !== 'critic') continue;
    const pool = criticPool(a);
    if (!pools.includes(pool))
      return `agents.${i}.pool: no critic deployment serves pool ${JSON.stringify(pool)} (served: ${pools.join(', ')})`;
  }
  return null;
}

// Statuses every route can answer are documented from what the route is (documentErrors in errors.ts).

export function simulationRoutes(app: FastifyInstance, deps: SimulationRoutesDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { sims, readModel, live } = deps;
  const roundsCache = deps.roundsCache ?? new RoundsPageCache(live);

  // Every /simulations/:id… route finds the caller's own in req.simulation (simulationScope, app.ts).
  const { resolver } = deps;

  const by = (req: FastifyRequest) => principalOf(req).subject;

  r.post('/simulations', {
    config: { role: 'operator' },
    schema: {
      summary: 'Start a simulation',
      description:
        'Idempotent: a repeated create with the same simulationId or Idempotency-Key header returns the existing simulation (200).',
      headers: z.object({ 'idempotency-key': z.string().min(8).max(200).optional() }).loose(),
      body: CreateSimulationBody,
      response: { 201: CreatedResponse, 200: CreatedResponse, 409: ErrorBodySchema },
    },
    handler: async (req, reply) => {
      const p = principalOf(req);
      const key = req.headers['idempotency-key'];
      const simulationId =
        req.body.simulationId ??
        (typeof key === 'string'
          ? `sim-${createHash('sha256').update(`${p.tenant}\n${key}`).digest('hex').slice(0, 24)}`
          : `sim-${randomUUID()}`);
      if (deps.criticPools) {
        const problem = unservedPool(req.body.agents ?? DEFAULT_AGENTS, deps.criticPools);
        if (problem) throw new ApiError(400, 'validation_error', problem);
      }
      // In the tenant's own id space: another tenant's ids neither collide nor show.
      const place = await resolver.placeFor(p.tenant, simulationId);
      if (place.inTemporal) return reply.code(200).send({ simulationId, created: false });
      // Temporal forgot it (retention) but the read model still holds its records: reusing the id
      // would put another simulation's history under this one.
      const usedBefore = () =>
        new ApiError(409, 'conflict', `simulation id ${simulationId} was used before; its records are still kept`);
      if (place.onlyRecorded) throw usedBefore();
      // Checked after placing: while a rebuild replays, records that say an id is used are missing.
      if (await readModel.rebuildUnderWay(p.tenant))
        throw new ApiError(
          409,
          'conflict',
          'a rebuild of your read model is under way; create simulations when it is done',
        );
      try {
        await sims.start({ ...req.body, simulationId: place.ref.id, tenant: p.tenant, startedBy: p.subject });
      } catch (err) {
        // Started and ended between the look and the start (the error names the stored id).
        if (err instanceof SimulationExistsError) throw usedBefore();
        throw err;
      }
      return reply.code(201).send({ simulationId, created: true });
    },
  });

  r.get('/simulations', {
    config: { role: 'viewer' },
    schema: {
      summary: "List the caller's simulations, newest first",
      querystring: ListQuery,
      response: { 200: ListResponse },
    },
    handler: async (req) => {
      const { items, total } = await readModel.list(principalOf(req).tenant, req.query);
      return { items: items.map(toSummary), total, limit: req.query.limit, offset: req.query.offset };
    },
  });

  r.get('/simulations/:id', {
    config: { role: 'viewer' },
    schema: {
      summary: 'One simulation: live status from Temporal, summary from the read model',
      params: SimulationIdParams,
      response: { 200: SimulationResponse },
    },
    handler: async (req) => {
      const ref = req.simulation;
      const [status, summary] = await Promise.all([
        sims.status(ref.id).catch((err: unknown) => {
          req.log.warn({ err, simulationId: ref.id }, 'status query failed; answering from the read model');
          return null;
        }),
        readModel.summary(ref.id),
      ]);
      return {
        simulationId: ref.publicId,
        live: status !== null,
        status: status && (withPublicIds(ref, status) as SimulationStatus & Record<string, unknown>),
        summary: summary ? toSummary(summary) : null,
      };
    },
  });

  r.get('/simulations/:id/rounds', {
    config: { role: 'viewer' },
    schema: {
      summary: 'Rounds in order, paginated',
      params: SimulationIdParams,
      querystring: RoundsQuery,
      response: {
        200: RoundsResponse,
        304: z.null().describe('Not modified: the ETag sent in If-None-Match is still the page'),
      },
    },
    handler: async (req, reply) => {
      const { limit, offset } = req.query;
      const ref = req.simulation;
      const page = await roundsCache.get(ref.id, `${ref.publicId}/${offset}/${limit}`, async () => {
        const stored = await readModel.roundsPage(ref.id, offset, limit);
        // The stored JSON is sent as is (it was validated when the recorder accepted the event), its
        // claim-checked texts expanded.
        const rounds = await deps.texts.rounds(stored.rounds);
        return jsonWithPublicIds(
          ref,
          `{"rounds":[${rounds.join(',')}],"total":${stored.total},"limit":${limit},"offset":${offset}}`,
        );
      });
      // Pollers that send the ETag back get a 304 until the simulation records something new.
      reply.header('etag', page.etag).header('cache-control', 'no-cache');
      if (req.headers['if-none-match'] === page.etag) return reply.code(304).send(null);
      return reply.type('application/json; charset=utf-8').send(page.body as never);
    },
  });

  r.get('/simulations/:id/branches', {
    config: { role: 'viewer' },
    schema: {
      summary:
        'The lineage: tournament contenders and lines abandoned by backtracks (oldest first), and the tree of lines they form',
      params: SimulationIdParams,
      response: { 200: BranchesResponse },
    },
    handler: async (req) => {
      const { branches, lastRound } = withPublicIds(req.simulation, await readModel.lineage(req.simulation.id));
      return {
        branches,
        tree: lineageTree(branches, lastRound) as unknown as z.infer<typeof BranchesResponse>['tree'],
      };
    },
  });

  r.get('/simulations/:id/report', {
    config: { role: 'viewer' },
    schema: {
      summary: 'The final report (404 until the simulation completed)',
      params: SimulationIdParams,
      response: { 200: ReportResponse },
    },
    handler: async (req) => {
      const report = await readModel.report(req.simulation.id);
      if (!report) throw notFound('report');
      const whole = await deps.texts.report(report as FinalReport);
      return withPublicIds(req.simulation, whole);
    },
  });

  r.get('/simulations/:id/events', {
    // HEAD would hold a stream (and its subscription) that node never writes to.
    exposeHeadRoute: false,
    config: { role: 'viewer' },
    schema: {
      summary:
        'Server-sent events: one per simulation event (id = event seq); reconnect with Last-Event-ID to miss nothing',
      params: SimulationIdParams,
      headers: z.object({ 'last-event-id': z.coerce.number().int().min(0).optional() }).loose(),
      querystring: EventsQuery,
      response: {},
    },
    handler: async (req, reply) => {
      const p = principalOf(req);
      const caller = `${p.tenant}\n${p.subject}`;
      const sse = sseOptions();
      if (streams.size >= sse.maxStreams || (perCaller.get(caller) ?? 0) >= sse.maxStreamsPerCaller) {
        void reply.header('retry-after', '5');
        throw new ApiError(
          429,
          'rate_limited',
          streams.size >= sse.maxStreams
            ? `this gateway serves ${sse.maxStreams} event streams at once (SSE_MAX_STREAMS); retry shortly`
            : `you have ${sse.maxStreamsPerCaller} event streams open, the most one caller may (SSE_MAX_STREAMS_PER_CALLER); close one`,
        );
      }
      const tokens = req.query.tokens !== 'false';
      await streamEvents(req, reply, Number(req.headers['last-event-id'] ?? 0), caller, sse, tokens);
    },
  });

  // Open SSE streams, ended when the app closes (hijacked replies are not fastify's to end).
  // Read per stream, so a test that tunes sseDefaults affects the streams it opens next.
  const sseOptions = () => ({ ...sseDefaults, ...deps.sse });
  const streams = new Set<() => void>();
  const perCaller = new Map<string, number>();
  app.addHook('preClose', (done) => {
    for (const end of [...streams]) end();
    done();
  });

  async function streamEvents(
    req: FastifyRequest,
    reply: FastifyReply,
    after: number,
    caller: string,
    sse: SseOptions,
    tokens: boolean,
  ): Promise<void> {
    const ref = req.simulation;
    const id = ref.id;
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    /** false when the socket's buffer is full (the client reads slower than events come). */
    const write = (chunk: string): boolean => (!res.destroyed && !res.writableEnded ? res.write(chunk) : true);
    // Until the client has read what is buffered; one that reads nothing for drainTimeoutMs is dropped.
    const drained = () =>
      new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          res.off('drain', done);
          res.off('close', done);
          resolve();
        };
        const timer = setTimeout(() => {
          req.log.warn(
            { simulationId: id },
            'SSE: the client reads nothing; dropping the connection (it resumes with Last-Event-ID)',
          );
          done();
          close();
          res.destroy(); // its buffer would never flush: ending it politely would keep the socket for ever
        }, sse.drainTimeoutMs);
        res.once('drain', done);
        res.once('close', done);
      });
    const stream = new OrderedEventStream({
      ...sse,
      after,
      read: (seq, limit) => readModel.eventLogAfter(id, seq, limit),
      send: (u: LiveUpdate) =>
        write(`id: ${u.seq}\nevent: ${u.kind}\ndata: ${JSON.stringify(withPublicIds(ref, u))}\n\n`),
      drained,
      onError: (err) =>
        req.log.warn({ err, simulationId: id }, 'SSE: reading the events log failed; the next poll retries'),
      onSkip: (from, to) => req.log.warn({ simulationId: id, from, to }, 'SSE: skipped seqs that were never recorded'),
    });
    let unsubscribe: (() => Promise<void>) | null = null;
    let unsubscribeTokens: (() => Promise<void>) | null = null;
    let ping: NodeJS.Timeout | undefined;
    let closed = false;
    // No stream lives for ever: the client reconnects with Last-Event-ID and misses nothing.
    const lifetime = setTimeout(() => {
      write(': stream lifetime reached; reconnect with Last-Event-ID\n\n');
      end();
      // A client that reads nothing never lets the end flush: the socket goes a little later.
      setTimeout(() => res.destroyed || res.writableFinished || res.destroy(), 5_000).unref();
    }, sse.maxLifetimeMs);
    lifetime.unref();
    const close = () => {
      if (closed) return;
      closed = true;
      streams.delete(end);
      deps.openStreams?.set(streams.size);
      const n = (perCaller.get(caller) ?? 1) - 1;
      if (n > 0) perCaller.set(caller, n);
      else perCaller.delete(caller);
      stream.close();
      clearInterval(ping);
      clearTimeout(lifetime);
      unsubscribe?.().catch((err: unknown) => req.log.warn({ err, simulationId: id }, 'SSE: unsubscribe failed'));
      unsubscribeTokens?.().catch((err: unknown) => req.log.warn({ err, simulationId: id }, 'SSE: unsubscribe failed'));
    };
    const end = () => {
      close();
      if (!res.writableEnded) res.end();
    };
    streams.add(end);
    perCaller.set(caller, (perCaller.get(caller) ?? 0) + 1);
    deps.openStreams?.set(streams.size);
    res.on('close', close);
    // The client may have gone while the request was authorized: its 'close' came before anyone listened.
    if (res.destroyed || req.raw.destroyed || req.raw.socket.destroyed) {
      close();
      return;
    }
    // Subscribe first, then read the log: anything recorded after the read rings the doorbell.
    try {
      const off = await live.subscribe(id, () => void stream.ring());
      if (closed) {
        await off().catch(() => undefined);
        return;
      }
      unsubscribe = off;
    } catch (err) {
      req.log.warn(
        { err, simulationId: id },
        'SSE: subscribing failed; ending the stream (the client reconnects with Last-Event-ID)',
      );
      end();
      return;
    }
    if (tokens) {
      // Tokens are live only (no id, never replayed): dropped while the client is behind, so a
      // slow reader gets every event but not every token.
      const off = await live
        .subscribeTokens(id, (message) => {
          if (closed || res.writableNeedDrain) return;
          const delta = tokenDelta(message, id);
          if (delta) write(`event: token\ndata: ${JSON.stringify(withPublicIds(ref, delta))}\n\n`);
        })
        .catch((err: unknown) => {
          req.log.warn({ err, simulationId: id }, 'SSE: subscribing to tokens failed; the stream carries events only');
          return null;
        });
      if (closed) await off?.().catch(() => undefined);
      else unsubscribeTokens = off;
    }
    await stream.start();
    write(': connected\n\n');
    if (!closed) ping = setInterval(() => write(': ping\n\n'), 15_000);
  }

  // ---- controls: one route per registry entry (controls.ts); cancel and terminate are Temporal's own
  controlRoutes(app, { sims });

  r.post('/simulations/:id/cancel', {
    config: { role: 'operator' },
    schema: {
      summary: 'Cancel gracefully: the current step stops, cleanup runs, state becomes cancelled',
      params: SimulationIdParams,
      body: EmptyBody.optional(),
      response: { 202: OkResponse },
    },
    handler: async (req, reply) => {
      await sims.cancel(req.simulation.id);
      return reply.code(202).send({ ok: true as const, message: 'cancellation requested' });
    },
  });

  r.post('/simulations/:id/terminate', {
    config: { role: 'admin' },
    schema: {
      summary: 'Terminate immediately (no cleanup); admins only',
      params: SimulationIdParams,
      body: TerminateBody.optional(),
      response: { 200: OkResponse },
    },
    handler: async (req) => {
      await sims.terminate(req.simulation.id, req.body?.reason ?? `terminated by ${by(req)}`);
      return { ok: true as const, message: 'terminated' };
    },
  });
}
