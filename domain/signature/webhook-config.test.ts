import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { buildWebhookConfiguration, webhookConfigYaml } from './webhook-config.js';

const HOSTILE =
  'prod\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: pwned\n# \u0007\u0000\u007f\u0085 "end';

describe('webhook configuration YAML', () => {
  it('stays one document with the hostile name as data, whatever the name holds', () => {
    const config = buildWebhookConfiguration({
      publicUrl: 'https://vigil.example.com',
      clusterId: '0190a0a0-0000-7000-8000-000000000001',
      clusterName: HOSTILE,
      token: 'CLUSTER_TOKEN',
      failurePolicy: 'Fail',
    });
    const text = webhookConfigYaml(config, [`for cluster "${HOSTILE}"`, 'second line']);
    const docs = parseAllDocuments(text);
    expect(docs).toHaveLength(1);
    const [doc] = docs;
    expect(doc?.errors).toEqual([]);
    expect(doc?.toJS()).toEqual(config);
    expect((doc?.toJS() as typeof config).metadata.annotations['vigil.dev/cluster-name']).toBe(
      'prod\\u000a---\\u000aapiVersion: v1\\u000akind: Namespace\\u000ametadata:\\u000a  name: pwned\\u000a# \\u0007\\u0000\\u007f\\u0085 "end',
    );
    // Every header line is still a comment: the name's line breaks are spelled out, not obeyed.
    // YAML allows no control characters but tab and line breaks (YAML 1.2 §5.1 c-printable), comments included.
    // eslint-disable-next-line no-control-regex -- control characters are what this matches
    expect(text).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u0084\u0086-\u009f]/);
    const beforeData = text.slice(0, text.indexOf('apiVersion: admissionregistration'));
    expect(beforeData.split('\n').filter((l) => l !== '' && !l.startsWith('#'))).toEqual([]);
  });
});
