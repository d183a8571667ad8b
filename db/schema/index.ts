// One file per aggregate; each feature adds its own line here.
export * from './accounts.js';
export * from './audit.js';
export * from './idempotency.js';
export * from './inventory.js';
export * from './findings.js';
export * from './key-check.js';
export * from './notifications.js';
export * from './agents.js';
export * from './playbook.js';
export * from './signature.js';
export * from './reports.js';
export * from './multi-account.js';
export * from './multi-account-policy.js';
export * from './console.js';
