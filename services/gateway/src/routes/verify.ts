// GET /v1/simulations/:id/verify: do Temporal, the event topic and the read model agree about
// one simulation? Runs the consistency checker (@kunlun/consistency) and answers its report,
// consistent or not; every report is counted in kunlun_consistency_* on the gateway's /metrics.
import { verifySimulation, type ConsistencyMetrics, type VerifyDeps } from '@kunlun/consistency';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { ApiError, ErrorBodySchema } from '../errors.js';
import { reportWithPublicIds } from '../simulation-ref.js';
import { SimulationIdParams, VerifyQuery, VerifyResponse } from '../schemas.js';

export interface VerifyRoutesDeps {
  stores: VerifyDeps;
  metrics: ConsistencyMetrics;
}

export function verifyRoutes(app: FastifyInstance, deps: VerifyRoutesDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get('/simulations/:id/verify', {
    config: { role: 'operator' },
    schema: {
      summary:
        'Consistency check: do Temporal, the event topic and the read model agree? 200 with the report either way',
      description:
        'Reads the simulation from all three stores and compares them; while they disagree it reads again until settleMs has passed (the read model trails Temporal by the pipeline lag), so only a lasting divergence is reported.',
      params: SimulationIdParams,
      querystring: VerifyQuery,
      response: { 200: VerifyResponse, 503: ErrorBodySchema },
    },
    handler: async (req) => {
      // The caller's own (simulationScope).
      const { id } = req.simulation;
      let report;
      try {
        report = await verifySimulation(deps.stores, id, { settleMs: req.query.settleMs });
      } catch (err) {
        req.log.warn({ err, simulationId: id }, 'consistency check failed');
        throw new ApiError(
          503,
          'unavailable',
          'the consistency check could not read Temporal, the event topic or the read model; try again',
        );
      }
      deps.metrics.observe(report);
      if (!report.consistent)
        req.log.warn({ simulationId: id, divergences: report.divergences.map((d) => d.message) }, 'stores disagree');
      return reportWithPublicIds(req.simulation, report);
    },
  });
}
