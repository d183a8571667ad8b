import { eq } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { directorySettingsPolicies, memberSettingsOverrides } from '../../db/schema/multi-account-policy.js';
import { managedMembers } from '../../db/schema/multi-account.js';
import { notFound } from '../../domain/errors.js';
import { readStoredSettings } from '../../domain/multi-account/member-settings.js';
import {
  effectiveSettings,
  sameSettings,
  type EffectiveSettings,
  type TSettingsPatch,
} from '../../domain/multi-account/settings-policy.js';
import { latestRevision } from './rollout-state.js';

export type DirectoryPolicyRow = typeof directorySettingsPolicies.$inferSelect;
export type MemberOverridesRow = typeof memberSettingsOverrides.$inferSelect;

const asPatch = (v: unknown): TSettingsPatch =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as TSettingsPatch) : {};

/** The directory's default settings policy, or null when none was ever set. */
export async function directoryPolicy(db: Executor, directoryId: string): Promise<DirectoryPolicyRow | null> {
  const [row] = await db
    .select()
    .from(directorySettingsPolicies)
    .where(eq(directorySettingsPolicies.directoryId, directoryId));
  return row ?? null;
}

export async function memberOverrides(db: Executor, memberId: string): Promise<MemberOverridesRow | null> {
  const [row] = await db
    .select()
    .from(memberSettingsOverrides)
    .where(eq(memberSettingsOverrides.accountId, memberId));
  return row ?? null;
}

export interface MemberEffectiveSettings extends EffectiveSettings {
  memberId: string;
  excludedFromDirectoryPolicy: boolean;
  /** The directory policy's revision the settings were built with; null without a policy (or when excluded). */
  directoryPolicyRevision: number | null;
  overrides: TSettingsPatch;
  /** Whether the member has anything to run: a directory policy it inherits, or settings of its own. */
  governed: boolean;
}

/** A managed member's effective settings and where each field comes from. 404 when it is not managed. */
export async function memberEffectiveSettings(
  db: Executor,
  memberId: string,
): Promise<MemberEffectiveSettings> {
  const [member] = await db
    .select({ directoryId: managedMembers.directoryId })
    .from(managedMembers)
    .where(eq(managedMembers.accountId, memberId));
  if (!member) throw notFound('managed member');
  const [policy, own] = await Promise.all([
    directoryPolicy(db, member.directoryId),
    memberOverrides(db, memberId),
  ]);
  const excluded = own?.excludedFromPolicy ?? false;
  const overrides = asPatch(own?.settings);
  const effective = effectiveSettings({
    overrides,
    directoryDefault: policy ? asPatch(policy.settings) : null,
    excluded,
  });
  return {
    memberId,
    ...effective,
    excludedFromDirectoryPolicy: excluded,
    directoryPolicyRevision: policy && !excluded ? policy.revision : null,
    overrides,
    governed: own !== null || (policy !== null && !excluded),
  };
}

/** The effective settings with the member's latest saved revision, and whether that revision equals them. */
export async function explainedMemberSettings(
  db: Executor,
  memberId: string,
): Promise<MemberEffectiveSettings & { revision: number | null; inSync: boolean }> {
  const [e, latest] = await Promise.all([
    memberEffectiveSettings(db, memberId),
    latestRevision(db, memberId),
  ]);
  return {
    ...e,
    revision: latest?.revision ?? null,
    inSync: latest !== null && sameSettings(readStoredSettings(latest.settings), e.settings),
  };
}
