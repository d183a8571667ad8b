import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { roleTableMarkdown, routeRoles, withRoleTable } from './role-table.js';
import { createRouter } from './router.js';
import { registerRoutes } from './routes/index.js';

/**
 * `npm run docs:roles`: rewrites the role table in README.md from the OpenAPI registry. `--check` only says whether
 * the README is current (exit 1 if not); `test/roles.test.ts` runs the same comparison in CI.
 */
const readmePath = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'README.md');
const app = createRouter();
registerRoutes(app);
const readme = await readFile(readmePath, 'utf8');
const next = withRoleTable(readme, roleTableMarkdown(routeRoles(app.openAPIRegistry)));
if (process.argv.includes('--check')) {
  if (next !== readme) {
    process.stderr.write('README.md role table is out of date: run npm run docs:roles\n');
    process.exitCode = 1;
  }
} else if (next !== readme) {
  await writeFile(readmePath, next);
  process.stdout.write('README.md role table updated\n');
}
