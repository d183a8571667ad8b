import { describe, expect, it } from 'vitest';
import { deriveOperationId, singular } from './operation-id.js';

describe('deriveOperationId', () => {
  it.each([
    ['get', '/v1/assets', 'listAssets'],
    ['get', '/v1/assets/{id}', 'getAsset'],
    ['post', '/v1/reports', 'createReport'],
    ['patch', '/v1/playbook/policies/{id}', 'updatePlaybookPolicy'],
    ['delete', '/v1/signature/witnesses/{id}', 'deleteSignatureWitness'],
    ['post', '/v1/playbook/tasks/{id}/cancel', 'cancelPlaybookTask'],
    ['get', '/v1/playbook/tasks/{id}/logs', 'listPlaybookTaskLogs'],
    ['get', '/v1/clusters/{id}/webhook-config', 'getClusterWebhookConfig'],
    ['get', '/v1/account', 'getAccount'],
    ['put', '/v1/multi-account/auto-add', 'setMultiAccountAutoAdd'],
    ['get', '/v1/signature/signatures/{id}', 'getSignature'],
    ['post', '/agent/v1/register', 'registerAgent'],
    ['post', '/public/v1/unsubscribe', 'unsubscribe'],
  ])('%s %s → %s', (method, path, id) => {
    expect(deriveOperationId(method, path)).toBe(id);
  });

  it('singularises the plurals Vigil uses', () => {
    expect(['policies', 'witnesses', 'assets', 'address'].map(singular)).toEqual([
      'policy',
      'witness',
      'asset',
      'address',
    ]);
  });
});
