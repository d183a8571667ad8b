/**
 * Which images a security policy checks, by glob over the image name as cosign names it (`registry/repository`,
 * e.g. `index.docker.io/library/nginx`, without tag or digest), like policy-controller's `images[].glob`:
 * `*` matches within one path segment, `**` across segments, `?` one character.
 */

/** The annotation that admits a Pod a policy denies, with a justification; always audited (Binary Authorization's break-glass). */
export const BREAK_GLASS_ANNOTATION = 'vigil.dev/break-glass';
/** Most witnesses a policy names besides its own (N of M signatures, like Kyverno's attestor `count`). */
export const MAX_COSIGNERS = 10;
/** Most glob patterns a policy lists (include and exclude each). */
export const MAX_IMAGE_PATTERNS = 100;
export const IMAGE_GLOB_PATTERN = /^[a-z0-9_\-./:*?[\]]{1,255}$/;

export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i] ?? '';
    if (ch === '*' && glob[i + 1] === '*') {
      re += '.*';
      i++;
    } else if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else re += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

export interface ImageScope {
  include: RegExp[];
  exclude: RegExp[];
}

export const compileImageScope = (images: string[], excluded: string[]): ImageScope => ({
  include: images.map(globToRegExp),
  exclude: excluded.map(globToRegExp),
});

/** An image is checked when some include pattern matches (or there are none) and no exclude pattern does. */
export function imageInScope(scope: ImageScope, name: string): boolean {
  if (scope.exclude.some((r) => r.test(name))) return false;
  return scope.include.length === 0 || scope.include.some((r) => r.test(name));
}
