import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The layer table of DESIGN §2, enforced: a wrong import fails `npm run check`. Tests beside the code
 * (`x.test.ts`), `bench/` and `test/` may import anything.
 */
const IO_MODULES = [
  'node:fs',
  'node:fs/*',
  'node:net',
  'node:http',
  'node:https',
  'node:child_process',
  'postgres',
  'drizzle-orm',
  'drizzle-orm/*',
  '@electric-sql/*',
  '@temporalio/client',
  '@temporalio/worker',
  '@temporalio/activity',
  'nodemailer',
];
const folders = (names) => names.flatMap((n) => [`**/${n}/*`, `**/${n}/**`]);
const layer = (folder, rule) => ({
  files: [`${folder}/**/*.ts`, `${folder}/**/*.tsx`],
  ignores: ['**/*.test.ts', '**/*.test.tsx'],
  rules: { 'no-restricted-imports': ['error', { patterns: rule }] },
});
const may = (folder, names, why) => ({
  group: folders(names),
  message: `${folder}/ may not import ${names.join('/, ')}/ (DESIGN §2): ${why}`,
});

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.data/', '.tools/', 'db/migrations/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-non-null-assertion': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-empty': ['error', { allowEmptyCatch: false }],
    },
  },
  layer('domain', [
    may(
      'domain',
      ['db', 'services', 'activities', 'workflows', 'api', 'console', 'platform', 'worker', 'agent'],
      'domain is pure',
    ),
    { group: IO_MODULES, message: 'domain/ does no I/O (DESIGN §2)' },
  ]),
  layer('workflows', [
    may(
      'workflows',
      ['db', 'services', 'api', 'console', 'platform', 'worker', 'agent'],
      'workflow code is deterministic and does no I/O',
    ),
    {
      group: folders(['activities']),
      allowTypeImports: true,
      message:
        'workflows/ import activities/ as types only (`import type`), through proxyActivities (DESIGN §2)',
    },
    { group: [...IO_MODULES, 'node:*'], message: 'workflows/ do no I/O (DESIGN §3.1)' },
  ]),
  layer('services', [
    may('services', ['api', 'console', 'worker'], 'services are called by routes, pages and activities'),
  ]),
  layer('activities', [
    may('activities', ['api', 'console'], 'activities are thin calls into services/ or db/'),
  ]),
  layer('db', [
    may(
      'db',
      ['services', 'activities', 'workflows', 'api', 'console', 'worker'],
      'db/ knows only domain/ types',
    ),
  ]),
  layer('api/routes', [
    may('api', ['console', 'worker', 'activities', 'workflows'], 'routes parse, call one service and map'),
    {
      group: folders(['db']),
      allowTypeImports: true,
      message: 'api/routes/ reach the database through services/ (DESIGN §2); types only from db/',
    },
  ]),
  layer('api/middleware', [
    may('api', ['console', 'worker', 'activities', 'workflows'], 'middleware authenticates and limits'),
  ]),
  layer('console', [
    may('console', ['activities', 'workflows', 'worker', 'db'], 'the console calls the API in-process'),
  ]),
  layer('agent', [
    may(
      'agent',
      ['db', 'services', 'activities', 'workflows', 'api', 'console', 'platform', 'worker'],
      'the agent talks HTTP only',
    ),
  ]),
);
