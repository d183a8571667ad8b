// The Playbook's workflow family: task → batches → one child per asset (DESIGN §5).
export { playbookTaskWorkflow } from './playbook/task.js';
export { playbookBatchWorkflow } from './playbook/batch.js';
export { fixAssetWorkflow } from './playbook/asset.js';
export * from './playbook/messages.js';
