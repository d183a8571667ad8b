// Every workflow family re-exports here; the worker bundles this file once per process.
export { runAgentJobWorkflow } from './agent-jobs.js';
export { memberSettingsRollout } from './member-settings.js';
export { playbookTaskWorkflow, playbookBatchWorkflow, fixAssetWorkflow } from './playbook.js';
export { signatureRevocationWorkflow } from './signature.js';
