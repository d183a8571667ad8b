/** What Vigil reads of a database's error: its SQLSTATE and, for a constraint's violation, the constraint's name. */
export interface DatabaseErrorInfo {
  code: string;
  constraint?: string;
}

/** Five digits or capitals, at least one a digit (every SQLSTATE; not a system error such as EPIPE). */
const SQLSTATE = /^(?=.*\d)[0-9A-Z]{5}$/;

/**
 * The database's error on `err` or its causes (Drizzle wraps the driver's error in `cause`), as postgres.js
 * (`code`, `constraint_name`) and PGlite (`code`, `constraint`) report it; undefined when there is none.
 */
export function databaseErrorOf(err: unknown): DatabaseErrorInfo | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 5 && typeof e === 'object' && e !== null; depth++) {
    const { code, constraint, constraint_name } = e as Record<string, unknown>;
    if (typeof code === 'string' && SQLSTATE.test(code)) {
      const name = typeof constraint_name === 'string' ? constraint_name : constraint;
      return typeof name === 'string' && name !== '' ? { code, constraint: name } : { code };
    }
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}
