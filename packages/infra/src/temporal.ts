import { Client, Connection } from '@temporalio/client';

/** Connects to the Temporal frontend; throws (never returns a half-made client) when unreachable. */
export async function connectTemporal(options: { address: string; namespace: string }): Promise<{ connection: Connection; client: Client }> {
  const connection = await Connection.connect({ address: options.address, connectTimeout: '10s' });
  return { connection, client: new Client({ connection, namespace: options.namespace }) };
}
