import { z } from 'zod';
import { unprocessable } from '../errors.js';
import { DEFAULT_MEMBER_SETTINGS, ZMemberSettingsSchema, type TMemberSettings } from './member-settings.js';

/**
 * Organisation policies (issue 16 item 3). A member's effective settings are built field by field from three
 * layers, the first that has the field winning:
 *
 *   1. the member's own overrides,
 *   2. the directory's default settings policy — unless the member is excluded from it,
 *   3. the built-in defaults (`DEFAULT_MEMBER_SETTINGS`).
 *
 * A field is a leaf of the settings schema: a switch, a number, an asset scope, or the whole list of baseline
 * policies (lists are replaced, never merged element by element). Everything here walks the schema, so a field
 * added to `ZMemberSettingsSchema` is inherited, overridden and explained without a change here.
 */
export const SETTINGS_SOURCES = ['member-override', 'directory-default', 'built-in-default'] as const;
export type SettingsSource = (typeof SETTINGS_SOURCES)[number];

/** A partial settings document: any subset of fields, each with the value the full schema accepts. */
export type TSettingsPatch = { [field: string]: unknown };

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** A field schema without its `.default()`: in a patch, a missing field must stay missing (inherited). */
function withoutDefault(schema: z.ZodType): z.ZodType {
  return schema instanceof z.ZodDefault ? withoutDefault(schema.unwrap() as z.ZodType) : schema;
}

function patchOf(schema: z.ZodObject): z.ZodType<TSettingsPatch> {
  const shape = Object.fromEntries(
    Object.entries(schema.shape as Record<string, z.ZodType>).map(([key, field]) => [
      key,
      (field instanceof z.ZodObject ? patchOf(field) : withoutDefault(field)).optional(),
    ]),
  );
  return z.strictObject(shape) as unknown as z.ZodType<TSettingsPatch>;
}

/** Any subset of the member settings document, checked field by field against the full schema. */
export const ZSettingsPatchSchema = patchOf(ZMemberSettingsSchema);

/** Dotted paths of every field (leaf) of the settings document, in schema order. */
export function settingsFieldPaths(schema: z.ZodObject = ZMemberSettingsSchema, prefix = ''): string[] {
  return Object.entries(schema.shape as Record<string, z.ZodType>).flatMap(([key, field]) =>
    field instanceof z.ZodObject ? settingsFieldPaths(field, `${prefix}${key}.`) : [`${prefix}${key}`],
  );
}

export interface EffectiveSettings {
  settings: TMemberSettings;
  /** For every field path, the layer its value came from. */
  sources: Record<string, SettingsSource>;
}

/**
 * The member's effective settings and the source of every field. `directoryDefault` is null when the directory has
 * no policy; an excluded member ignores it.
 */
export function effectiveSettings(opts: {
  overrides: TSettingsPatch | null;
  directoryDefault: TSettingsPatch | null;
  excluded: boolean;
}): EffectiveSettings {
  const sources: Record<string, SettingsSource> = {};
  const layers: [SettingsSource, unknown][] = [
    ['member-override', opts.overrides ?? {}],
    ['directory-default', opts.excluded ? {} : (opts.directoryDefault ?? {})],
    ['built-in-default', DEFAULT_MEMBER_SETTINGS],
  ];
  const walk = (schema: z.ZodObject, values: unknown[], prefix: string): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
      const below = values.map((v) => (isRecord(v) ? v[key] : undefined));
      if (field instanceof z.ZodObject) {
        out[key] = walk(field, below, `${prefix}${key}.`);
        continue;
      }
      const layer = below.findIndex((v) => v !== undefined);
      const found = layers[layer];
      if (!found) continue;
      out[key] = below[layer];
      sources[`${prefix}${key}`] = found[0];
    }
    return out;
  };
  const merged = walk(
    ZMemberSettingsSchema,
    layers.map(([, v]) => v),
    '',
  );
  return { settings: ZMemberSettingsSchema.parse(merged), sources };
}

/**
 * A directory policy applies to the assets of many members, so it cannot name assets (`mode: 'selected'`): asset
 * ids belong to one member. Such a scope is a member override. 422 naming the fields.
 */
export function assertDirectoryPolicyNamesNoAssets(patch: TSettingsPatch): void {
  const named: string[] = [];
  const walk = (v: unknown, path: string) => {
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${path}[${i}]`));
    else if (isRecord(v)) {
      if (v.mode === 'selected') named.push(path);
      else for (const [k, x] of Object.entries(v)) walk(x, path ? `${path}.${k}` : k);
    }
  };
  walk(patch, '');
  if (named.length > 0) {
    throw unprocessable(
      'a directory settings policy applies to every member, so it cannot select assets; select them in a member override',
      { fields: named },
    );
  }
}

/** Two settings documents are the same when their JSON is (key order aside). */
export function sameSettings(a: unknown, b: unknown): boolean {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canonical)
      : isRecord(v)
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, canonical(v[k])]),
          )
        : v;
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}
