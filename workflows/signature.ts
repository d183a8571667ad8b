import {
  ActivityFailure,
  proxyActivities,
  setCurrentDetails,
  continueAsNew,
  workflowInfo,
} from '@temporalio/workflow';
import type {
  createSignatureActivities,
  ReevaluationResult,
  RevocationScope,
} from '../activities/signature/revocation.js';
import { TRUSTED_IMAGE_LABEL } from '../domain/signature/rules.js';

/** The notification engineer's activity contract (activities/notifications). */
interface NotifyActivities {
  sendNotification(input: {
    accountId: string;
    dedupeKey: string;
    message: { title: string; markdown: string; text: string };
  }): Promise<unknown>;
}

type SignatureActivities = ReturnType<typeof createSignatureActivities>;

const signing = proxyActivities<SignatureActivities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '1 minute',
  retry: { maximumAttempts: 10 },
});
const notify = proxyActivities<NotifyActivities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '2 minutes',
  retry: { maximumAttempts: 3 },
});

export interface SignatureRevocationInput extends RevocationScope {
  witnessName: string;
  /** Carried across continue-as-new. */
  progress?: {
    afterId: string | null;
    checked: number;
    kept: number;
    revoked: number;
    revokedImages: string[];
    pages: number;
  };
}

export interface SignatureRevocationResult {
  checked: number;
  kept: number;
  revoked: number;
  revokedImages: string[];
  notified: boolean;
}

/** Pages per run before continue-as-new keeps history small (DESIGN §3.5). */
const PAGES_PER_RUN = 200;
/** How many revoked image names a notification lists. */
const LISTED_IMAGES = 20;

function what(input: SignatureRevocationInput): string {
  return input.version === null
    ? `witness "${input.witnessName}" (all key versions)`
    : `key version ${input.version} of witness "${input.witnessName}"`;
}

/**
 * `signature-revocation:{witnessId}:{version|all}`: after a key version or witness is disabled, re-verify every
 * image it had made a Trusted Image, remove the label where no enabled key still vouches for it, and tell the
 * account's channels.
 */
export async function signatureRevocationWorkflow(
  input: SignatureRevocationInput,
): Promise<SignatureRevocationResult> {
  const p = input.progress ?? { afterId: null, checked: 0, kept: 0, revoked: 0, revokedImages: [], pages: 0 };
  const scope: RevocationScope = {
    accountId: input.accountId,
    witnessId: input.witnessId,
    version: input.version,
  };
  const show = (state: string) =>
    setCurrentDetails(
      [
        `### Revoking ${what(input)}`,
        '',
        '| state | images checked | still trusted | label removed |',
        '|---|---|---|---|',
        `| ${state} | ${p.checked} | ${p.kept} | ${p.revoked} |`,
      ].join('\n'),
    );
  show('re-evaluating');
  for (let run = 0; ; run++) {
    if (run >= PAGES_PER_RUN) {
      return continueAsNew<typeof signatureRevocationWorkflow>({ ...input, progress: p });
    }
    const ids = await signing.listImagesTrustedThrough({ ...scope, afterId: p.afterId });
    if (ids.length === 0) break;
    const r: ReevaluationResult = await signing.reevaluateTrustedImages({ ...scope, ids });
    p.afterId = ids[ids.length - 1] ?? null;
    p.checked += ids.length;
    p.kept += r.kept;
    p.revoked += r.revoked;
    p.pages++;
    for (const image of r.revokedImages)
      if (p.revokedImages.length < LISTED_IMAGES) p.revokedImages.push(image);
    show('re-evaluating');
  }
  show('notifying');
  const listed = p.revokedImages.map((i) => `- \`${i}\``).join('\n');
  const title = `Vigil: ${what(input)} disabled — ${p.revoked} image(s) lost the ${TRUSTED_IMAGE_LABEL} label`;
  let notified = true;
  try {
    await notify.sendNotification({
      accountId: input.accountId,
      dedupeKey: `${workflowInfo().workflowId}:done`,
      message: {
        title,
        markdown: `**${title}**\n\n${p.checked} image(s) re-checked, ${p.kept} still signed by an enabled key.\n\n${listed}`,
        text: `${title}. ${p.checked} re-checked, ${p.kept} still trusted.${p.revokedImages.length ? ` Revoked: ${p.revokedImages.join(', ')}` : ''}`,
      },
    });
  } catch (err) {
    // Revocation itself is done; a channel outage must not undo or hide it. The result and details say so.
    if (!(err instanceof ActivityFailure)) throw err;
    notified = false;
  }
  show(notified ? 'done' : 'done (notification failed)');
  return { checked: p.checked, kept: p.kept, revoked: p.revoked, revokedImages: p.revokedImages, notified };
}
