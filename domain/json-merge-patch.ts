import { z } from 'zod';

/**
 * JSON Merge Patch (RFC 7396): an object patch merges member by member, `null` removes a member, anything else
 * (arrays included) replaces the target's value.
 */
export type TMergePatch<T> = {
  [K in keyof T]?: (T[K] extends unknown[] ? T[K] : T[K] extends object ? TMergePatch<T[K]> : T[K]) | null;
};

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** RFC 7396 §2 `MergePatch(Target, Patch)`. */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return patch;
  const out: Record<string, unknown> = isPlainObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = applyMergePatch(out[key], value);
  }
  return out;
}

/**
 * The schema of a merge patch of `schema`'s output: every member optional and nullable, defaults dropped (a missing
 * member means "keep", never "reset to the default"), nested objects patchable member by member. Member rules (ranges,
 * enums) stay, so a wrongly typed patch is refused before it is applied.
 */
export function mergePatchSchema<S extends z.ZodObject>(schema: S): z.ZodType<TMergePatch<z.output<S>>> {
  const shape: Record<string, z.ZodType> = {};
  for (const [key, field] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
    let inner: z.ZodType = field;
    if (inner instanceof z.ZodDefault) inner = inner.unwrap() as z.ZodType;
    if (inner instanceof z.ZodObject) inner = mergePatchSchema(inner);
    const patched = inner.nullable().optional();
    shape[key] = field.description ? patched.describe(field.description) : patched;
  }
  // The shape is built from `schema`'s own members above, so its output is TMergePatch of `schema`'s output.
  return z.strictObject(shape) as unknown as z.ZodType<TMergePatch<z.output<S>>>;
}
