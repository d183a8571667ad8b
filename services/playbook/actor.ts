/** Who does an operation and in which request: the part of an audit row the caller knows (api/audit-context.ts). */
export interface Actor {
  accountId: string;
  actor: string;
  requestId: string;
}
