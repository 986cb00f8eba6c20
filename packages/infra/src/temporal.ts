import { Client, Connection } from '@temporalio/client';
import { temporalSecurity, type TemporalSecurityEnv } from './credentials.js';

/** Connects to the Temporal frontend; throws (never returns a half-made client) when unreachable. */
export async function connectTemporal(options: {
  address: string;
  namespace: string;
  security?: TemporalSecurityEnv;
}): Promise<{ connection: Connection; client: Client }> {
  const connection = await Connection.connect({
    address: options.address,
    connectTimeout: '10s',
    ...(options.security ? temporalSecurity(options.security) : {}),
  });
  return { connection, client: new Client({ connection, namespace: options.namespace }) };
}
