export const iso = (d: Date | null) => d?.toISOString() ?? null;
