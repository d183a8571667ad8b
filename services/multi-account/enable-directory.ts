import type { Database } from '../../db/client.js';
import { resourceDirectories } from '../../db/schema/multi-account.js';
import { VigilError } from '../../domain/errors.js';
import { recordCrossAccountAudit, type MultiAccountActor } from './audit.js';
import { directoryStanding, type DirectoryRow } from './directory-views.js';
import { joinDirectory } from './join-directory.js';

/** Enables a resource directory; the caller becomes its management account. */
export async function enableDirectory(
  db: Database,
  opts: { by: MultiAccountActor; name: string },
): Promise<DirectoryRow> {
  return db.transaction(async (tx) => {
    if (await directoryStanding(tx, opts.by.accountId)) {
      throw new VigilError('conflict', 'this account already belongs to a resource directory');
    }
    const [directory] = await tx
      .insert(resourceDirectories)
      .values({ accountId: opts.by.accountId, name: opts.name })
      .returning();
    if (!directory) throw new Error('insert returned no row');
    await joinDirectory(tx, {
      directory,
      accountId: opts.by.accountId,
      joinedVia: 'enabled',
      by: opts.by,
    });
    await recordCrossAccountAudit(tx, opts.by, opts.by.accountId, {
      action: 'resource_directory.enable',
      targetType: 'resource_directory',
      targetId: directory.id,
      after: directory,
    });
    return directory;
  });
}
