import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createSecretBox, generateMasterKey, parseMasterKey, type SecretBox } from './secrets.js';

export class MasterKeyError extends Error {
  override name = 'MasterKeyError';
}

/**
 * Production processes (api, worker) must be given VIGIL_MASTER_KEY. The embedded `npm start` may keep a
 * generated key in its data folder (mode 0600), printed once as a warning; a key that does not decrypt what is
 * stored is caught by `verifyMasterKey` at start-up.
 */
export function resolveMasterKey(opts: {
  value?: string;
  dataDir?: string;
  log?: (line: string) => void;
}): SecretBox {
  if (opts.value) return createSecretBox(parseMasterKey(opts.value));
  if (!opts.dataDir) {
    throw new MasterKeyError(
      'VIGIL_MASTER_KEY is not set: it encrypts secrets and private keys at rest. Generate one with ' +
        '`openssl rand -hex 32` and keep it safe; losing it makes the stored secrets unreadable.',
    );
  }
  const file = path.join(opts.dataDir, 'master.key');
  if (!existsSync(file)) {
    mkdirSync(opts.dataDir, { recursive: true });
    writeFileSync(file, `${generateMasterKey()}\n`, { mode: 0o600, flag: 'wx' });
    opts.log?.(`generated a master key in ${file}; set VIGIL_MASTER_KEY in production instead`);
  }
  return createSecretBox(parseMasterKey(readFileSync(file, 'utf8').trim()));
}
