import { defineConfig } from 'vitest/config';

const integration = [
  'api/**/*.test.ts',
  'activities/**/*.test.ts',
  'services/**/*.test.ts',
  'workflows/**/*.test.ts',
  'db/**/*.test.ts',
  'test/**/*.test.ts',
  'worker/**/*.test.ts',
  'console/**/*.test.ts',
];

/**
 * One Temporal dev server for the whole run (globalSetup). Database tests run on PGlite always and again on real
 * Postgres when TEST_DATABASE_URL is set (CI sets it), but for the browser tests (PGlite only); each test file gets
 * its own database.
 */
export default defineConfig({
  test: {
    globalSetup: ['./test/global-setup.ts'],
    pool: 'forks',
    maxWorkers: 3,
    testTimeout: 120_000,
    hookTimeout: 180_000,
    teardownTimeout: 30_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: [
            'domain/**/*.test.ts',
            'platform/**/*.test.ts',
            'agent/**/*.test.ts',
            'bench/**/*.test.ts',
          ],
        },
      },
      {
        extends: true,
        test: { name: 'pglite', include: integration, env: { VIGIL_TEST_DB: 'pglite' } },
      },
      ...(process.env.TEST_DATABASE_URL
        ? [
            {
              extends: true as const,
              test: {
                name: 'postgres',
                include: integration,
                // The browser tests drive a started Vigil on PGlite (issue 14); the services behind every page are
                // the API's own and run on Postgres through the API tests. Once is enough for ~5 min of Chromium.
                exclude: ['test/console/**'],
                env: { VIGIL_TEST_DB: 'postgres' },
              },
            },
          ]
        : []),
    ],
  },
});
