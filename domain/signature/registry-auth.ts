/**
 * A registry's `WWW-Authenticate` challenge (distribution `docs/spec/auth/token.md`, RFC 7235): `Basic realm="…"`
 * or `Bearer realm="…",service="…",scope="…"`.
 */
export type AuthChallenge =
  | { scheme: 'basic'; realm: string }
  | { scheme: 'bearer'; realm: string; service: string | null; scope: string | null }
  | { scheme: 'other'; raw: string };

export function parseAuthChallenge(header: string): AuthChallenge {
  const m = /^\s*(\S+)\s*(.*)$/s.exec(header);
  const scheme = m?.[1]?.toLowerCase() ?? '';
  const params = new Map<string, string>();
  const re = /([A-Za-z][\w-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/g;
  for (const p of (m?.[2] ?? '').matchAll(re)) {
    const key = p[1]?.toLowerCase();
    if (key) params.set(key, (p[2] ?? p[3] ?? '').replace(/\\(.)/g, '$1'));
  }
  if (scheme === 'basic') return { scheme: 'basic', realm: params.get('realm') ?? '' };
  const realm = params.get('realm');
  if (scheme === 'bearer' && realm)
    return {
      scheme: 'bearer',
      realm,
      service: params.get('service') ?? null,
      scope: params.get('scope') ?? null,
    };
  return { scheme: 'other', raw: header };
}

/** The token-auth scope for one repository (`pull` to read, `pull,push` to write signatures). */
export const repositoryScope = (repository: string, actions: 'pull' | 'pull,push') =>
  `repository:${repository}:${actions}`;

/**
 * go-containerregistry talks plain HTTP only to loopback registries (`name.Registry.Scheme`); every other
 * registry is HTTPS.
 */
export function registryScheme(registry: string): 'http' | 'https' {
  const host = registry.replace(/:\d+$/, '');
  return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host) ? 'http' : 'https';
}
