import { Context } from '@temporalio/activity';
import type { Services } from '../../platform/services.js';
import {
  listImagesTrustedThrough,
  reevaluateTrustedImages,
  REVOCATION_PAGE_SIZE,
  type ReevaluationResult,
  type RevocationScope,
} from '../../services/signature/reevaluate-trusted-images.js';

export type { ReevaluationResult, RevocationScope };

/** The revocation workflow's activities: one page of labelled images, and their re-verification. */
export function createSignatureActivities(deps: Pick<Services, 'db'>) {
  return {
    async listImagesTrustedThrough(input: RevocationScope & { afterId: string | null }): Promise<string[]> {
      return listImagesTrustedThrough(deps.db, { ...input, limit: REVOCATION_PAGE_SIZE });
    },
    async reevaluateTrustedImages(input: RevocationScope & { ids: string[] }): Promise<ReevaluationResult> {
      Context.current().heartbeat();
      return reevaluateTrustedImages(deps.db, input);
    },
  };
}
