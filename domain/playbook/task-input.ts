import { z } from 'zod';
import { displayName } from '../input-rules.js';

/** How a task picks its assets (seed: asset groups, individual assets, search), minus exclusions; resolved at creation. */
export const ZTaskAssetSelectionSchema = z
  .strictObject({
    groupIds: z.array(z.uuid()).max(1000).default([]),
    assetIds: z.array(z.uuid()).max(10_000).default([]),
    search: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .optional()
      .describe(
        'Assets whose name, hostname or IP contains this text (case-insensitive; never merely similar).',
      ),
    excludeAssetIds: z
      .array(z.uuid())
      .max(10_000)
      .default([])
      .describe('Assets left out of whatever the groups, ids and search select.'),
  })
  .refine((s) => s.groupIds.length > 0 || s.assetIds.length > 0 || s.search !== undefined, {
    message: 'give groupIds, assetIds or search',
  });

export const ZTaskExecutionSchema = z.discriminatedUnion('mode', [
  z.strictObject({ mode: z.literal('now') }),
  z.strictObject({
    mode: z.literal('window'),
    start: z.string().min(10).max(40),
    end: z.string().min(10).max(40),
    timeZone: z.string().min(1).max(64),
  }),
]);

export const ZCreateTaskBodySchema = z.strictObject({
  name: displayName(200),
  assets: ZTaskAssetSelectionSchema,
  /**
   * Each id names a vulnerability (its type and name); the task fixes it on every chosen asset where it is present.
   * At most MAX_TASK_VULNERABILITIES distinct vulnerabilities (checked as a business rule, 422).
   */
  vulnerabilityIds: z.array(z.uuid()).min(1).max(10_000),
  channelIds: z.array(z.uuid()).max(50).default([]),
  execution: ZTaskExecutionSchema,
});
export type TCreateTaskBody = z.infer<typeof ZCreateTaskBodySchema>;
