// Every workflow family re-exports here; the worker bundles this file once per process.
export { runAgentJobWorkflow } from './agent-jobs.js';
export { signatureRevocationWorkflow } from './signature.js';
export { playbookTaskWorkflow, playbookBatchWorkflow, fixAssetWorkflow } from './playbook.js';
export { memberSettingsRollout } from './member-settings.js';
export { reportDeliveryWorkflow } from './reports.js';
export { vigilMaintenanceWorkflow } from './maintenance.js';
export { hostScanWorkflow, hostScanCycleWorkflow } from './host-scan.js';
export { baselineCheckWorkflow, baselineCheckCycleWorkflow } from './baseline-check.js';
export { findingRetentionWorkflow } from './finding-retention.js';
export { signatureBreakGlassWorkflow } from './signature-break-glass.js';
