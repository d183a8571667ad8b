import { serveOverIpc } from './server.js';

/** Entry of the forked API server of bench/api.ts (started with `fork`; it talks over the IPC channel). */
const flag = (name: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
serveOverIpc(flag('--driver') === 'pglite' ? 'pglite' : 'postgres', flag('--postgres-url') ?? '');
