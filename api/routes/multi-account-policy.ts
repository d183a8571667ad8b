import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { ZMemberSettingsSchema } from '../../domain/multi-account/member-settings.js';
import {
  SETTINGS_SOURCES,
  ZSettingsPatchSchema,
  type TSettingsPatch,
} from '../../domain/multi-account/settings-policy.js';
import { setDirectorySettingsPolicy } from '../../services/multi-account/set-directory-settings-policy.js';
import { setMemberOverrides } from '../../services/multi-account/set-member-overrides.js';
import {
  directoryPolicy,
  explainedMemberSettings,
  type DirectoryPolicyRow,
} from '../../services/multi-account/settings-policy-views.js';
import type { Executor } from '../../db/client.js';
import { auditActor } from '../audit-context.js';
import type { AppEnv } from '../context.js';
import { callerDirectory, callerMember } from '../multi-account-access.js';
import { resourceRoutes } from '../route-shapes.js';
import { defineRoute, json, jsonBody, ZIdParamSchema } from '../router.js';

const tags = ['multi-account control'];

const ZSettingsPolicySchema = z
  .object({
    directoryId: z.uuid(),
    /** Null until a policy is first set. */
    revision: z.number().int().nullable(),
    /** The fields every managed member inherits unless it overrides them or is excluded. */
    settings: ZSettingsPatchSchema,
    updatedAt: z.iso.datetime().nullable(),
    updatedBy: z.object({ actor: z.string(), accountId: z.uuid() }).nullable(),
  })
  .openapi('DirectorySettingsPolicy');

export type TSettingsPolicyResponse = z.infer<typeof ZSettingsPolicySchema>;

const ZEffectiveSettingsSchema = z
  .object({
    memberId: z.uuid(),
    excludedFromDirectoryPolicy: z.boolean(),
    /** The directory policy revision the settings inherit from; null without a policy or when excluded. */
    directoryPolicyRevision: z.number().int().nullable(),
    overrides: ZSettingsPatchSchema,
    settings: ZMemberSettingsSchema,
    /** Where each field's value comes from, by dotted field path. */
    sources: z.record(z.string(), z.enum(SETTINGS_SOURCES)),
    /** The member's latest saved revision, and whether it equals these settings. */
    revision: z.number().int().nullable(),
    inSync: z.boolean(),
  })
  .openapi('EffectiveMemberSettings');

export type TEffectiveSettingsResponse = z.infer<typeof ZEffectiveSettingsSchema>;

const ZOverridesBodySchema = z.strictObject({
  overrides: ZSettingsPatchSchema,
  excludedFromDirectoryPolicy: z.boolean().default(false),
});

export type TOverridesRequest = z.input<typeof ZOverridesBodySchema>;

const getPolicyRoute = resourceRoutes('/v1/multi-account/settings-policy', tags, ZSettingsPolicySchema).show(
  "The directory's default member settings (management account or delegated administrator)",
);

const putPolicyRoute = defineRoute({
  method: 'put',
  path: '/v1/multi-account/settings-policy',
  // Admin: it changes the protection of every managed member.
  role: 'admin',
  tags,
  summary:
    "Set the directory's default member settings; every managed member that inherits them gets a new revision at once",
  description:
    'A partial settings document. A field a member overrides keeps the override; a member excluded from the ' +
    'policy is not touched; a field the policy leaves out takes the built-in default. The policy cannot select ' +
    'assets (422): asset ids belong to one member.',
  request: { body: jsonBody(ZSettingsPatchSchema) },
  responses: {
    200: json(ZSettingsPolicySchema.extend({ membersChanged: z.number().int() })),
  },
});

const putOverridesRoute = defineRoute({
  method: 'put',
  path: '/v1/multi-account/members/{id}/settings/overrides',
  role: 'admin',
  tags,
  summary:
    "Set a member's own settings over the directory policy, and whether it is excluded from the policy",
  description:
    'The fields of `overrides` beat the directory default; `{}` clears them. An excluded member takes its ' +
    'overrides and the built-in defaults only, and later policy changes do not reach it. A change of the ' +
    'effective settings is saved as a new revision and rolled out.',
  request: { params: ZIdParamSchema, body: jsonBody(ZOverridesBodySchema) },
  responses: { 200: json(ZEffectiveSettingsSchema) },
});

const effectiveRoute = defineRoute({
  method: 'get',
  path: '/v1/multi-account/members/{id}/settings/effective',
  tags,
  summary: "A member's effective settings and where each value comes from",
  description:
    'Each field comes from the member override, else the directory default, else the built-in default.',
  request: { params: ZIdParamSchema },
  responses: { 200: json(ZEffectiveSettingsSchema) },
});

function policyDto(directoryId: string, p: DirectoryPolicyRow | null): TSettingsPolicyResponse {
  return {
    directoryId,
    revision: p?.revision ?? null,
    settings: (p?.settings ?? {}) as TSettingsPatch,
    updatedAt: p?.updatedAt.toISOString() ?? null,
    updatedBy: p ? { actor: p.actor, accountId: p.actorAccountId } : null,
  };
}

async function effectiveDto(db: Executor, memberId: string): Promise<TEffectiveSettingsResponse> {
  const e = await explainedMemberSettings(db, memberId);
  return {
    memberId,
    excludedFromDirectoryPolicy: e.excludedFromDirectoryPolicy,
    directoryPolicyRevision: e.directoryPolicyRevision,
    overrides: e.overrides,
    settings: e.settings,
    sources: e.sources,
    revision: e.revision,
    inSync: e.inSync,
  };
}

export function registerMultiAccountPolicyRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(getPolicyRoute, async (c) => {
    const { directory } = await callerDirectory(c);
    return c.json(policyDto(directory.id, await directoryPolicy(c.get('services').db, directory.id)), 200);
  });

  app.openapi(putPolicyRoute, async (c) => {
    const { directory } = await callerDirectory(c);
    const result = await setDirectorySettingsPolicy(c.get('services'), {
      by: auditActor(c),
      directory,
      settings: c.req.valid('json'),
    });
    return c.json({ ...policyDto(directory.id, result.policy), membersChanged: result.membersChanged }, 200);
  });

  app.openapi(putOverridesRoute, async (c) => {
    const { memberId } = await callerMember(c, c.req.valid('param').id);
    const body = c.req.valid('json');
    await setMemberOverrides(c.get('services'), {
      by: auditActor(c),
      memberId,
      overrides: body.overrides,
      excludedFromDirectoryPolicy: body.excludedFromDirectoryPolicy,
    });
    return c.json(await effectiveDto(c.get('services').db, memberId), 200);
  });

  app.openapi(effectiveRoute, async (c) => {
    const { memberId } = await callerMember(c, c.req.valid('param').id);
    return c.json(await effectiveDto(c.get('services').db, memberId), 200);
  });
}
