import { ConfigError } from './config.js';
import { MasterKeyError } from './master-key.js';
import { SecretBoxError } from './secrets.js';
import { startVigil, VigilStartError, type StartVigilOptions } from './vigil.js';
import { errorMessage } from '../domain/errors.js';

/**
 * What every entry point does around `startVigil`: start (a requirement not met exits 2 with its message, anything
 * else 1), stop in order on SIGINT/SIGTERM within `shutdownBudgetMs` (exit 0), and exit 1 if the workers fail —
 * a process without its workers would look alive while doing nothing.
 */
export async function runVigil(opts: StartVigilOptions & { shutdownBudgetMs: number }): Promise<void> {
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const err = (line: string) => process.stderr.write(`${line}\n`);
  const vigil = await startVigil(opts).catch((e: unknown) => {
    const known = e instanceof VigilStartError || e instanceof MasterKeyError || e instanceof SecretBoxError;
    err(`Vigil failed to start: ${errorMessage(e)}`);
    if (!known && !(e instanceof ConfigError) && e instanceof Error && e.stack) err(e.stack);
    process.exit(known || e instanceof ConfigError ? 2 : 1);
  });
  let stopping = false;
  const stop = (reason: string, code: number) => {
    if (stopping) return;
    stopping = true;
    if (opts.embedded) out(`\n${reason}, stopping …`);
    else vigil.services.logger.info({ reason }, 'stopping');
    setTimeout(() => {
      err(`shutdown took longer than ${opts.shutdownBudgetMs / 1000} s; exiting`);
      process.exit(1);
    }, opts.shutdownBudgetMs).unref();
    void vigil.stop().then(
      () => {
        if (opts.embedded) out('stopped');
        process.exit(code);
      },
      (e: unknown) => {
        err(`error while stopping: ${String(e)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT received', 0));
  process.on('SIGTERM', () => stop('SIGTERM received', 0));
  vigil.workersDone.catch(() => stop('the workers failed', 1));
}
