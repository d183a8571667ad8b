/** Who creates or deletes an enrollment token, for the audit row. */
export interface AuditedBy {
  accountId: string;
  actor: string;
  requestId?: string;
}
