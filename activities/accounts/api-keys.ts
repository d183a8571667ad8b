/**
 * Moved to services/accounts/api-keys.ts (issue 13). This re-export only keeps api/routes/account.ts compiling
 * until its import is pointed at services/accounts/; delete it then.
 */
export { createApiKey } from '../../services/accounts/api-keys.js';
