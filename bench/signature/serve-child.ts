import { serveOverIpc } from './server.js';

/** Entry of the forked bench server (bench/signature.ts starts it with `fork`; it talks over the IPC channel). */
const flag = (name: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
await serveOverIpc({ postgresUrl: flag('--postgres-url'), cpuProfileDir: flag('--cpu-prof') });
