/**
 * Image references parsed the way cosign parses them (go-containerregistry `pkg/name`, default options), so the
 * `docker-reference` we put in a payload is the one cosign would put there: `docker.io` → `index.docker.io`, a
 * bare Docker Hub name gets `library/`, a tag before `@digest` is dropped.
 */

/** go-containerregistry `DefaultRegistry`: where a reference without a registry part points. */
export const DEFAULT_REGISTRY = 'index.docker.io';
/** go-containerregistry rewrites this alias to DEFAULT_REGISTRY. */
const DEFAULT_REGISTRY_ALIAS = 'docker.io';
/** Docker Hub single-component names live under `library/`. */
const DEFAULT_NAMESPACE = 'library';
/** go-containerregistry `repositoryChars`, and its length bounds 2..255. */
const REPOSITORY_PATTERN = /^[a-z0-9_\-./]{2,255}$/;
const TAG_PATTERN = /^[A-Za-z0-9_\-.]{1,127}$/;
/** Only SHA-256 digests are signed and admitted (the product signs manifest digests). */
export const DIGEST_PATTERN = /^sha256:[0-9a-f]{64}$/;
/** A registry is a URI authority: host name or IPv4 with optional port, or a bracketed IPv6 literal. */
const REGISTRY_PATTERN = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

export interface ImageReference {
  /** What the caller wrote. */
  original: string;
  registry: string;
  /** Repository path inside the registry, with the implicit `library/` applied. */
  repository: string;
  /** `registry/repository`: go-containerregistry `Repository.Name()`, cosign's `docker-reference`. */
  name: string;
  tag: string | null;
  digest: string | null;
}

export type ParseResult = { ok: true; ref: ImageReference } | { ok: false; reason: string };

/** Parses `[registry/]repo[:tag][@sha256:<hex>]`. */
export function parseImageReference(input: string): ParseResult {
  const original = input.trim();
  if (original === '') return { ok: false, reason: 'the image reference is empty' };
  const at = original.split('@');
  if (at.length > 2) return { ok: false, reason: `"${original}" has more than one "@"` };
  const [base = '', digest] = at;
  if (digest !== undefined && !DIGEST_PATTERN.test(digest)) {
    return { ok: false, reason: `"${digest}" is not a digest of the form sha256:<64 lowercase hex digits>` };
  }
  let rest = base;
  let tag: string | null = null;
  const colon = base.lastIndexOf(':');
  // A ":" after the last "/" separates a tag; before it, it is a registry port.
  if (colon !== -1 && !base.slice(colon + 1).includes('/')) {
    tag = base.slice(colon + 1);
    rest = base.slice(0, colon);
    if (!TAG_PATTERN.test(tag)) return { ok: false, reason: `"${tag}" is not a valid tag` };
  }
  let registry = '';
  let repository = rest;
  const slash = rest.indexOf('/');
  if (slash !== -1) {
    const first = rest.slice(0, slash);
    // go-containerregistry: the first part is a registry only if it contains "." or ":".
    if (first.includes('.') || first.includes(':')) {
      registry = first;
      repository = rest.slice(slash + 1);
    }
  }
  if (registry !== '' && !REGISTRY_PATTERN.test(registry)) {
    return { ok: false, reason: `"${registry}" is not a valid registry host` };
  }
  if (!REPOSITORY_PATTERN.test(repository)) {
    return {
      ok: false,
      reason: `"${repository}" is not a valid repository (lowercase letters, digits, "_-./")`,
    };
  }
  if (registry === '' || registry === DEFAULT_REGISTRY_ALIAS) registry = DEFAULT_REGISTRY;
  if (registry === DEFAULT_REGISTRY && !repository.includes('/'))
    repository = `${DEFAULT_NAMESPACE}/${repository}`;
  return {
    ok: true,
    ref: { original, registry, repository, name: `${registry}/${repository}`, tag, digest: digest ?? null },
  };
}

export interface DigestReference extends ImageReference {
  digest: string;
}

export type DigestParseResult =
  { ok: true; ref: DigestReference } | { ok: false; reason: string; tagged: boolean };

/** Signing and admission accept only references pinned by digest; a tag alone is refused with a hint. */
export function parseDigestReference(input: string): DigestParseResult {
  const parsed = parseImageReference(input);
  if (!parsed.ok) return { ok: false, reason: parsed.reason, tagged: false };
  const { ref } = parsed;
  if (ref.digest === null) {
    return {
      ok: false,
      tagged: true,
      reason: `"${ref.original}" is not pinned by digest; a tag can be moved to other content, so sign and deploy the digest (${ref.name}@sha256:…)`,
    };
  }
  return { ok: true, ref: { ...ref, digest: ref.digest } };
}
