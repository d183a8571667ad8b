import { WEBHOOK_EXCLUDED_NAMESPACES, WEBHOOK_TIMEOUT_SECONDS } from './rules.js';

/** Written where the cluster token belongs when the token itself is no longer known (it is stored hashed). */
export const CLUSTER_TOKEN_PLACEHOLDER = 'CLUSTER_TOKEN';
/** The admission path; `/{clusterToken}` after it carries the token, since webhook clientConfig sets no headers. */
export const ADMISSION_PATH = '/admission/v1/validate';

export const WEBHOOK_FAILURE_POLICIES = ['Fail', 'Ignore'] as const;
export type TWebhookFailurePolicy = (typeof WEBHOOK_FAILURE_POLICIES)[number];

/**
 * A ValidatingWebhookConfiguration (admissionregistration.k8s.io/v1) for one cluster. Kubernetes forbids query
 * strings in `clientConfig.url` and cannot add headers to webhook calls, so the token is the last path segment.
 * (A kube-apiserver `--admission-control-config-file` kubeconfig with `token:` sends it as a Bearer header instead,
 * which `/admission/v1/validate` also accepts.)
 */
export function buildWebhookConfiguration(opts: {
  publicUrl: string;
  clusterId: string;
  clusterName: string;
  token: string;
  failurePolicy: TWebhookFailurePolicy;
  caBundle?: string;
}) {
  const operations = ['CREATE', 'UPDATE'];
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: {
      name: `vigil-image-signature-${opts.clusterId.slice(-12)}`,
      labels: { 'app.kubernetes.io/managed-by': 'vigil', 'vigil.dev/cluster-id': opts.clusterId },
      annotations: { 'vigil.dev/cluster-name': opts.clusterName },
    },
    webhooks: [
      {
        name: 'image-signature.vigil.dev',
        admissionReviewVersions: ['v1'],
        sideEffects: 'None',
        timeoutSeconds: WEBHOOK_TIMEOUT_SECONDS,
        failurePolicy: opts.failurePolicy,
        matchPolicy: 'Equivalent',
        clientConfig: {
          url: `${opts.publicUrl}${ADMISSION_PATH}/${opts.token}`,
          ...(opts.caBundle ? { caBundle: opts.caBundle } : {}),
        },
        namespaceSelector: {
          matchExpressions: [
            {
              key: 'kubernetes.io/metadata.name',
              operator: 'NotIn',
              values: [...WEBHOOK_EXCLUDED_NAMESPACES],
            },
          ],
        },
        rules: [
          {
            apiGroups: [''],
            apiVersions: ['v1'],
            resources: ['pods', 'replicationcontrollers'],
            operations,
            scope: 'Namespaced',
          },
          {
            apiGroups: [''],
            apiVersions: ['v1'],
            resources: ['pods/ephemeralcontainers'],
            operations: ['UPDATE'],
            scope: 'Namespaced',
          },
          {
            apiGroups: ['apps'],
            apiVersions: ['v1'],
            resources: ['deployments', 'replicasets', 'statefulsets', 'daemonsets'],
            operations,
            scope: 'Namespaced',
          },
          {
            apiGroups: ['batch'],
            apiVersions: ['v1'],
            resources: ['jobs', 'cronjobs'],
            operations,
            scope: 'Namespaced',
          },
        ],
      },
    ],
  };
}

const PLAIN_SCALAR = /^[A-Za-z0-9_./-]+$/;
const YAML_WORDS = /^(?:true|false|null|yes|no|on|off|y|n|~|[-+]?[0-9][0-9._]*)$/i;

function yamlScalar(v: unknown): string {
  if (typeof v === 'string') return PLAIN_SCALAR.test(v) && !YAML_WORDS.test(v) ? v : JSON.stringify(v);
  return JSON.stringify(v);
}

/** Block YAML of plain JSON data (strings double-quoted when plain would be ambiguous; JSON quoting is YAML). */
export function toYaml(value: unknown, indent = ''): string {
  if (Array.isArray(value)) {
    if (value.length === 0) return `${indent}[]\n`;
    return value
      .map((item) => {
        if (typeof item === 'object' && item !== null) {
          const body = toYaml(item, `${indent}  `);
          return `${indent}- ${body.slice(indent.length + 2)}`;
        }
        return `${indent}- ${yamlScalar(item)}\n`;
      })
      .join('');
  }
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value);
    if (entries.length === 0) return `${indent}{}\n`;
    return entries
      .map(([k, v]) => {
        const key = yamlScalar(k);
        if (
          typeof v === 'object' &&
          v !== null &&
          (Array.isArray(v) ? v.length > 0 : Object.keys(v).length > 0)
        ) {
          return `${indent}${key}:\n${toYaml(v, Array.isArray(v) ? indent : `${indent}  `)}`;
        }
        return `${indent}${key}: ${typeof v === 'object' && v !== null ? (Array.isArray(v) ? '[]' : '{}') : yamlScalar(v)}\n`;
      })
      .join('');
  }
  return `${indent}${yamlScalar(value)}\n`;
}
