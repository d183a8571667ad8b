import { Client, Connection } from '@temporalio/client';

export interface TemporalClientHandle {
  client: Client;
  connection: Connection;
  close(): Promise<void>;
}

/** The one Temporal client factory: API, reconcilers, tests and benches all connect through here. */
export async function connectTemporalClient(opts: {
  address: string;
  namespace: string;
}): Promise<TemporalClientHandle> {
  const connection = await Connection.connect({ address: opts.address, connectTimeout: '10s' });
  const client = new Client({ connection, namespace: opts.namespace });
  return { client, connection, close: () => connection.close() };
}
