/** True for a zone the runtime's ICU knows (IANA names such as Asia/Shanghai, America/New_York, UTC). */
export function isValidTimeZone(zone: string): boolean {
  if (zone.length === 0 || zone.length > 64) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
