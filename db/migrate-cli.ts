import path from 'node:path';
import { configOrExit, dataDir } from '../platform/config.js';
import { openDatabase } from './client.js';

/** `npm run migrate`: applies the committed migrations to DATABASE_URL (or the embedded PGlite) and exits. */
const config = configOrExit();
const handle = await openDatabase({
  url: config.DATABASE_URL,
  pgliteDir: path.join(dataDir(config), 'pglite'),
});
try {
  await handle.migrate();
  process.stdout.write(`migrations applied (${handle.driver})\n`);
} finally {
  await handle.close();
}
