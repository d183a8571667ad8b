/**
 * A stable camelCase operationId from method and path (`GET /v1/assets` → `listAssets`, `POST
 * /v1/playbook/tasks/{id}/cancel` → `cancelPlaybookTask`), so generated clients get readable method names without
 * every route spelling one out. A route whose derived name reads badly passes `operationId` to `defineRoute`.
 */

/** Path segments that only version or scope the API and say nothing about the operation. */
const NOISE = new Set(['v1', 'public']);

/** A trailing segment after an id that names an action on the object, not a sub-collection. */
const ACTIONS = new Set([
  'accept',
  'cancel',
  'clone',
  'decline',
  'disable',
  'enable',
  'leave',
  'pause',
  'rerun',
  'resume',
  'rotate',
  'send',
  'test',
  'verify',
  'validate',
  'register',
  'heartbeat',
  'unsubscribe',
]);

const VERB = { get: 'list', post: 'create', put: 'set', patch: 'update', delete: 'delete' } as const;

const capitalise = (word: string) => word.charAt(0).toUpperCase() + word.slice(1);
const words = (segment: string) => segment.split(/[-_.]/).filter((w) => w.length > 0);

/** `policies` → `policy`, `witnesses` → `witness`, `assets` → `asset`; leaves `settings`-like nouns alone. */
export function singular(word: string): string {
  if (word.endsWith('ies')) return `${word.slice(0, -3)}y`;
  if (word.endsWith('sses')) return word.slice(0, -2);
  if (word.endsWith('s') && !word.endsWith('ss')) return word.slice(0, -1);
  return word;
}

export function deriveOperationId(method: string, path: string): string {
  const segments = path.split('/').filter((s) => s.length > 0 && !NOISE.has(s));
  const isParam = (s: string | undefined) => s !== undefined && s.startsWith('{');
  const last = segments.at(-1);
  let verb: string = VERB[method as keyof typeof VERB] ?? method;
  let nouns = segments;
  if (last !== undefined && ACTIONS.has(last) && method === 'post') {
    verb = last;
    nouns = segments.slice(0, -1);
  } else if (method === 'get' && (isParam(last) || !last?.endsWith('s'))) {
    // One object, or a resource that is not a collection (`/v1/account`, `…/webhook-config`).
    verb = 'get';
  }
  const parts: string[] = [];
  nouns.forEach((segment, i) => {
    if (isParam(segment)) return;
    // A collection named before an id (or acted on as a whole by an action) is one object: `policies/{id}` → Policy.
    // POST to a collection creates one of it: `POST /v1/reports` → createReport.
    const followedById = isParam(nouns[i + 1]) || (verb === 'create' && i === nouns.length - 1);
    const ws = words(segment);
    if (followedById && ws.length > 0) ws[ws.length - 1] = singular(ws[ws.length - 1] ?? '');
    // `signature/signatures/{id}` is a Signature, not a SignatureSignature.
    for (const w of ws.map(capitalise)) if (parts.at(-1) !== w) parts.push(w);
  });
  return verb + parts.join('');
}
