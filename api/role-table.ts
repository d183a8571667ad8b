import type { OpenAPIHono } from '@hono/zod-openapi';
import { ROLES, type Role } from '../domain/roles.js';
import { AUTH_DESCRIPTION, AUTH_EXTENSION, ROLE_EXTENSION, type AuthScheme } from './router.js';

/** One row of the README's role table: what `defineRoute` wrote into the OpenAPI registry. */
export interface RouteRole {
  method: string;
  path: string;
  /** Least API-key role; null for routes that do not take an API key. */
  role: Role | null;
  auth: AuthScheme;
}

const METHOD_ORDER = ['get', 'post', 'put', 'patch', 'delete'];

export function routeRoles(registry: OpenAPIHono['openAPIRegistry']): RouteRole[] {
  const rows: RouteRole[] = [];
  for (const d of registry.definitions) {
    if (d.type !== 'route') continue;
    const route = d.route as typeof d.route & Record<string, unknown>;
    const role = route[ROLE_EXTENSION];
    rows.push({
      method: route.method,
      path: route.path,
      role: ROLES.find((r) => r === role) ?? null,
      auth: route[AUTH_EXTENSION] as AuthScheme,
    });
  }
  return rows.sort(
    (a, b) => a.path.localeCompare(b.path) || METHOD_ORDER.indexOf(a.method) - METHOD_ORDER.indexOf(b.method),
  );
}

/** The table as Markdown, padded the way Prettier formats it so `npm run format:check` stays clean. */
export function roleTableMarkdown(rows: readonly RouteRole[]): string {
  const header = ['method', 'path', 'least role', 'authentication'];
  const body = rows.map((r) => [
    r.method.toUpperCase(),
    `\`${r.path}\``,
    r.role === null ? '—' : `\`${r.role}\``,
    AUTH_DESCRIPTION[r.auth],
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((cells) => (cells[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...body.map(line)].join('\n');
}

export const ROLE_TABLE_START = '<!-- role-table:start (npm run docs:roles) -->';
export const ROLE_TABLE_END = '<!-- role-table:end -->';

/** The README with its role table replaced; throws if the markers are missing. */
export function withRoleTable(readme: string, table: string): string {
  const start = readme.indexOf(ROLE_TABLE_START);
  const end = readme.indexOf(ROLE_TABLE_END);
  if (start < 0 || end < start)
    throw new Error(`README.md has no ${ROLE_TABLE_START} … ${ROLE_TABLE_END} block`);
  return `${readme.slice(0, start + ROLE_TABLE_START.length)}\n\n${table}\n\n${readme.slice(end)}`;
}
