// Who owns a simulation: Temporal's record (a simulation workflow and the tenant in its memo) and
// the read model must agree; neither is trusted alone. The read model alone decides only for a
// simulation Temporal no longer keeps (retention), whose history is still readable.
import type { SimulationClient } from '@kunlun/client';
import type { FastifyRequest } from 'fastify';
import { principalOf } from './auth.js';
import { ApiError, notFound } from './errors.js';
import type { ReadModel } from './read-model.js';

export type Authorize = (req: FastifyRequest, id: string, storedTenant?: string | null) => Promise<void>;

/** Throws 404 unless the caller's tenant owns the simulation (another tenant's is "not found" too). */
export function simulationOwnership(sims: SimulationClient, readModel: ReadModel): Authorize {
  return async (req, id, storedTenant) => {
    const caller = principalOf(req).tenant;
    const [temporal, stored] = await Promise.all([sims.owner(id), storedTenant !== undefined ? storedTenant : readModel.tenantOf(id)]);
    const owner = temporal ? temporal.tenant : stored;
    if (!owner || owner !== caller) throw notFound('simulation');
    if (temporal && stored && stored !== temporal.tenant) {
      // The id was used before by another tenant's simulation that Temporal no longer keeps: its
      // records must not be shown as this one's.
      throw new ApiError(409, 'conflict', 'the read model still holds an earlier simulation under this id; it is not shown (an admin rebuild of the read model repairs it)');
    }
  };
}
