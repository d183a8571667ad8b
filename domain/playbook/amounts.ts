/** Amounts without their schema (in `policy.ts`): workflow code imports this file, and zod stays out of its bundle. */

/** A count of assets given as a number (`10`) or as a percentage of the task's assets (`"20%"`). */
export type TAmount = number | `${number}%`;

export const PERCENT = /^(\d{1,3})%$/;

export function percentOf(value: string): number {
  const m = PERCENT.exec(value);
  return m?.[1] === undefined ? Number.NaN : Number(m[1]);
}

/** A number stays as it is; `p%` of `total` is rounded down (the product's rule for every percentage). */
export function resolveAmount(amount: TAmount, total: number): number {
  if (typeof amount === 'number') return amount;
  return Math.floor((total * percentOf(amount)) / 100);
}
