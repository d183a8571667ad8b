interface RouteLike {
  method: string;
  path: string;
}

/** A Hono path (`/v1/assets/:id`, `/docs/assets/:file`, `/x/*`) as an anchored regular expression. */
function pathPattern(path: string): RegExp {
  const source = path
    .split('/')
    .map((segment) => {
      if (segment === '*') return '.*';
      // `:name` or `:name{regex}`: one segment, or what the route's own regex allows.
      const param = /^:[^{]+(?:\{(.+)\})?$/.exec(segment);
      if (param) return param[1] ?? '[^/]+';
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return new RegExp(`^${source}$`);
}

/**
 * The methods a path answers, from the routes the app registered (middleware registered with `use` is ALL and says
 * nothing about a route). Used to answer 405 with `Allow` instead of 404 when only the method is wrong.
 */
export function allowedMethodsFor(routes: readonly RouteLike[]): (path: string) => string[] {
  const table = new Map<string, { pattern: RegExp; methods: Set<string> }>();
  for (const r of routes) {
    if (r.method === 'ALL') continue;
    const entry = table.get(r.path) ?? { pattern: pathPattern(r.path), methods: new Set<string>() };
    entry.methods.add(r.method);
    // Hono answers HEAD with the GET handler.
    if (r.method === 'GET') entry.methods.add('HEAD');
    table.set(r.path, entry);
  }
  return (path) => {
    const methods = new Set<string>();
    for (const { pattern, methods: m } of table.values()) {
      if (pattern.test(path)) for (const method of m) methods.add(method);
    }
    return [...methods].sort();
  };
}

/** `allowedMethodsFor(app.routes)`, built once on first use (every route is registered before the first request). */
export function lazyAllowedMethods(app: {
  readonly routes: readonly RouteLike[];
}): (path: string) => string[] {
  let lookup: ((path: string) => string[]) | undefined;
  return (path) => {
    lookup ??= allowedMethodsFor(app.routes);
    return lookup(path);
  };
}
