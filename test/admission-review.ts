/** What `podReview` may vary: the rest is the Pod CREATE a kube-apiserver sends. */
export interface PodReviewOptions {
  uid: string;
  namespace: string;
  /** One container per image, named `c0`, `c1`, … */
  images: readonly string[];
  /** The Pod's name; `bench` unless given. */
  name?: string;
  /** The Pod's own uid (metadata.uid), which a break-glass decision remembers. */
  podUid?: string;
  userInfo?: { username: string };
  annotations?: Record<string, string>;
  dryRun?: boolean;
}

/** An AdmissionReview (admission.k8s.io/v1) of a Pod CREATE, as the tests and benches send it to `/admission`. */
export function podReview(opts: PodReviewOptions) {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: opts.uid,
      kind: { group: '', version: 'v1', kind: 'Pod' },
      namespace: opts.namespace,
      operation: 'CREATE',
      ...(opts.userInfo ? { userInfo: opts.userInfo } : {}),
      ...(opts.dryRun ? { dryRun: true } : {}),
      object: {
        metadata: {
          name: opts.name ?? 'bench',
          ...(opts.podUid ? { uid: opts.podUid } : {}),
          ...(opts.annotations ? { annotations: opts.annotations } : {}),
        },
        spec: { containers: opts.images.map((image, i) => ({ name: `c${i}`, image })) },
      },
    },
  };
}
