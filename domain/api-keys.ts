/** API key wire form: `vgl_<8 char prefix>_<32+ char secret>`; the prefix finds the row, the whole key is hashed. */
export const API_KEY_PATTERN = /^vgl_([A-Za-z0-9]{8})_([A-Za-z0-9]{32,})$/;

export function apiKeyPrefix(key: string): string | null {
  const m = API_KEY_PATTERN.exec(key);
  return m?.[1] ?? null;
}

/** An account keeps at least this many active admin keys: revoking the last one would lock it out for good. */
export const MIN_ACTIVE_ADMIN_KEYS = 1;
