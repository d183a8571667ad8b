import type { AuditEntry } from '../../db/audit.js';

/** Who changes the inventory and in which request: the part of an audit row the caller knows. */
export type InventoryActor = Pick<AuditEntry, 'accountId' | 'actor' | 'requestId'>;
