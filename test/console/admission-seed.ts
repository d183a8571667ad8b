import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { body, type TestContext } from '../harness.js';

const POD_REVIEW = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../fixtures/admission/pod.json',
);

/**
 * A witness, a cluster and an enforcing policy over namespace "prod", then one admission review of the fixture
 * Pod in "prod" (refused: unsigned) and one in "dev" (admitted: not covered): two decisions to list.
 */
export async function seedAdmissionDecisions(
  ctx: TestContext,
  key: string,
  names: { witness: string; cluster: string },
): Promise<{ witnessId: string; clusterId: string }> {
  const api = async <T>(p: string, payload: unknown): Promise<T> => {
    const res = await ctx.request('POST', p, { key, body: payload });
    expect(res.status, p).toBeLessThan(300);
    return body<T>(res);
  };
  const witness = await api<{ id: string }>('/v1/signature/witnesses', { name: names.witness });
  const cluster = await api<{ id: string; token: string }>('/v1/clusters', { name: names.cluster });
  await api('/v1/signature/policies', {
    name: 'prod-signed',
    witnessId: witness.id,
    clusterId: cluster.id,
    namespaces: ['prod'],
    enabled: true,
    mode: 'enforce',
  });
  for (const namespace of ['prod', 'dev']) {
    const review = JSON.parse(readFileSync(POD_REVIEW, 'utf8')) as {
      request: { uid: string; namespace: string };
    };
    review.request.uid = crypto.randomUUID();
    review.request.namespace = namespace;
    const res = await ctx.request('POST', `/admission/v1/validate/${cluster.token}`, { body: review });
    expect(res.status).toBe(200);
  }
  return { witnessId: witness.id, clusterId: cluster.id };
}
