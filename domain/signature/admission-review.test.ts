import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  decideAdmission,
  extractContainerImages,
  ZAdmissionReviewSchema,
  type ImageResult,
} from './admission-review.js';
import { buildWebhookConfiguration, webhookConfigYaml } from './webhook-config.js';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../test/fixtures/admission');
const review = (name: string) =>
  ZAdmissionReviewSchema.parse(JSON.parse(readFileSync(path.join(fixtures, `${name}.json`), 'utf8')));

describe('AdmissionReview images', () => {
  it('reads containers, init and ephemeral containers of a Pod, a Deployment template and a CronJob job template', () => {
    const pod = extractContainerImages(review('pod').request);
    expect(pod.ok && pod.images.map((i) => `${i.field}/${i.container}`)).toEqual([
      'containers/api',
      'containers/sidecar',
      'initContainers/migrate',
      'ephemeralContainers/debug',
    ]);
    const dep = extractContainerImages(review('deployment').request);
    expect(dep.ok && dep.images.map((i) => i.container)).toEqual(['web', 'migrate']);
    const cron = extractContainerImages(review('cronjob').request);
    expect(cron.ok && cron.images.map((i) => i.container)).toEqual(['report']);
  });

  it('calls a workload without a pod spec malformed and a non-workload kind uncovered', () => {
    const r = review('deployment').request;
    expect(extractContainerImages({ ...r, object: { spec: {} } })).toMatchObject({ ok: false });
    expect(extractContainerImages({ ...r, operation: 'DELETE', object: null })).toMatchObject({
      ok: true,
      workload: false,
    });
    expect(extractContainerImages({ ...r, kind: { group: '', version: 'v1', kind: 'ConfigMap' } })).toEqual({
      ok: true,
      workload: false,
      images: [],
    });
    // Kinds named after Object.prototype members are no workload either (the fuzzer's "constructor" was a 500).
    for (const kind of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf']) {
      expect(extractContainerImages({ ...r, kind: { group: '', version: 'v1', kind } }), kind).toEqual({
        ok: true,
        workload: false,
        images: [],
      });
    }
  });

  it('turns per-image verdicts into enforce / warn / dryRun answers', () => {
    const results: ImageResult[] = [
      { field: 'containers', container: 'a', image: 'x@sha256:1', verdict: { ok: true, keyVersion: 1 } },
      {
        field: 'initContainers',
        container: 'b',
        image: 'y:1',
        verdict: { ok: false, reason: 'not pinned by digest' },
      },
    ];
    const base = { policyName: 'p', witnessName: 'w', results };
    expect(decideAdmission({ ...base, mode: 'enforce' })).toMatchObject({
      allowed: false,
      outcome: 'denied',
      message: expect.stringContaining('init container "b" image "y:1": not pinned by digest'),
    });
    expect(decideAdmission({ ...base, mode: 'warn' })).toMatchObject({
      allowed: true,
      warnings: [expect.stringContaining('y:1')],
    });
    expect(decideAdmission({ ...base, mode: 'dryRun' })).toMatchObject({
      allowed: true,
      outcome: 'wouldDeny',
      warnings: [],
    });
  });
});

describe('webhook configuration', () => {
  it('renders YAML that parses back to the same object', () => {
    const config = buildWebhookConfiguration({
      publicUrl: 'https://vigil.example.com',
      clusterId: '0190a0a0-0000-7000-8000-000000000001',
      clusterName: 'prod: "main"',
      token: 'vgc_abc',
      failurePolicy: 'Fail',
    });
    expect(parse(webhookConfigYaml(config, ['a comment']))).toEqual(config);
  });
});
