import { z } from 'zod';

/** A count of assets given as a number (`10`) or as a percentage of the task's assets (`"20%"`). */
export type TAmount = number | `${number}%`;

const PERCENT = /^(\d{1,3})%$/;

/** Schema of an amount: a whole number from `min`, or a percentage from 0% (or 1% when `min` ≥ 1) to 100%. */
export function amountSchema(min: number) {
  return z.union([
    z.number().int().min(min).max(1_000_000),
    z
      .string()
      .regex(PERCENT, 'a whole percentage such as "20%"')
      .refine(
        (v) => {
          const p = percentOf(v);
          return p <= 100 && p >= Math.min(min, 1);
        },
        `a percentage from ${Math.min(min, 1)}% to 100%`,
      ),
  ]) as z.ZodType<TAmount>;
}

function percentOf(value: string): number {
  const m = PERCENT.exec(value);
  return m?.[1] === undefined ? Number.NaN : Number(m[1]);
}

/** A number stays as it is; `p%` of `total` is rounded down (the product's rule for every percentage). */
export function resolveAmount(amount: TAmount, total: number): number {
  if (typeof amount === 'number') return amount;
  return Math.floor((total * percentOf(amount)) / 100);
}
