import { Document } from 'yaml';
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
      // Names are validated, but one stored before that rule may hold control characters.
      annotations: { 'vigil.dev/cluster-name': printableText(opts.clusterName) },
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

/**
 * YAML (and the kube-apiserver's parser) allows no C0/C1 control character but tab and line breaks, not even
 * quoted, and a line break ends a comment.
 */
// eslint-disable-next-line no-control-regex -- control characters are what this matches
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f]/g;

/** Text safe as one comment line or any YAML value: every control character (line breaks too) spelled `\uXXXX`. */
export function printableText(text: string): string {
  return text.replace(UNPRINTABLE, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * The configuration as one YAML document, made by the `yaml` library from the data structure (never by
 * concatenating text, so no name can add a line, a key or another document). `header` lines become comments.
 */
export function webhookConfigYaml(config: object, header: string[]): string {
  const doc = new Document(config);
  doc.commentBefore = header.map((line) => ` ${printableText(line)}`).join('\n');
  return doc.toString({ lineWidth: 0 });
}
