import type { AdmissionDecision, ImageVerdict } from './admission-review.js';

/** How the verdicts of several witnesses and the decisions of several policies make one admission answer. */

export const NO_VERDICT: ImageVerdict = { ok: false, reason: 'not verified' };

/** One image under an N-of-M policy: it passes when at least `required` witnesses of the set verified it. */
export function nOfM(results: { name: string; verdict: ImageVerdict }[], required: number): ImageVerdict {
  const first = results[0];
  if (results.length === 1 && first) return first.verdict;
  const passed = results.filter((r) => r.verdict.ok);
  const ok = passed[0]?.verdict;
  if (passed.length >= required && ok?.ok) return ok;
  const failed = results.flatMap((r) => (r.verdict.ok ? [] : [{ name: r.name, verdict: r.verdict }]));
  return {
    ok: false,
    digest: results.find((r) => r.verdict.digest)?.verdict.digest,
    // Tolerable as an outage only when the missing signatures could have been in the unreachable registry.
    unavailable: failed.some((f) => !f.verdict.ok && f.verdict.unavailable === true),
    reason: `signed by ${passed.length} of the ${required} required witnesses (${passed.map((p) => `"${p.name}"`).join(', ') || 'none'}); ${failed
      .map((f) => `witness "${f.name}": ${f.verdict.ok ? '' : f.verdict.reason}`)
      .join('; ')}`,
  };
}

export function readUid(object: Record<string, unknown> | null | undefined): string | undefined {
  const uid = (object?.metadata as { uid?: unknown } | undefined)?.uid;
  return typeof uid === 'string' && uid !== '' ? uid : undefined;
}

export function readName(object: Record<string, unknown> | null | undefined): string | undefined {
  const meta = object?.metadata as { name?: unknown; generateName?: unknown } | undefined;
  if (typeof meta?.name === 'string') return meta.name;
  return typeof meta?.generateName === 'string' ? meta.generateName : undefined;
}

const SEVERITY = { denied: 4, breakGlass: 4, warned: 3, wouldDeny: 2, allowed: 1, notCovered: 0 } as const;

/** Several policies may cover one namespace: every one must pass; the strictest outcome answers. */
export function combine(decisions: AdmissionDecision[]): AdmissionDecision {
  const worst = decisions.reduce((a, b) => (SEVERITY[b.outcome] > SEVERITY[a.outcome] ? b : a));
  if (decisions.length === 1) return worst;
  return {
    ...worst,
    allowed: decisions.every((d) => d.allowed),
    message: decisions.map((d) => d.message).join(' | '),
    warnings: decisions.flatMap((d) => d.warnings),
    auditAnnotations: Object.assign({}, ...decisions.map((d) => d.auditAnnotations), worst.auditAnnotations),
  };
}
