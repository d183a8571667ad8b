import { z } from 'zod';
import { OS_FAMILIES } from './findings.js';
import { displayName } from './input-rules.js';

/** One bulk upsert carries at most this many assets (platform issue: "up to 10,000 assets per request"). */
export const MAX_ASSETS_PER_UPSERT = 10_000;

const ipv4 = z.ipv4();
const ipv6 = z.ipv6();

export const ZAssetInputSchema = z.strictObject({
  instanceId: z.string().trim().min(1).max(200).optional(),
  name: displayName(200),
  hostname: displayName(253),
  ips: z
    .array(
      z
        .string()
        .refine((v) => ipv4.safeParse(v).success || ipv6.safeParse(v).success, 'must be an IP address'),
    )
    .max(64)
    .default([]),
  osFamily: z.enum(OS_FAMILIES),
  osVersion: z.string().trim().max(200).default(''),
  groups: z.array(displayName(100)).max(50).optional(),
  tags: z.array(z.string().trim().min(1).max(100)).max(50).default([]),
});
export type TAssetInput = z.infer<typeof ZAssetInputSchema>;

/** Escapes `%`, `_` and `\` so that a search string is matched literally inside ILIKE. */
export function likePattern(search: string): string {
  return `%${search.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
}

/** Trigram similarity above which a name counts as a fuzzy match (typos, transpositions). */
export const FUZZY_SIMILARITY = 0.4;
