import { condition, executeChild, proxyActivities, workflowInfo } from '@temporalio/workflow';

/** Raw-Temporal baseline of the Playbook's shape: batches of assets, one child per asset, no-op steps in order. */
export interface BaselineInput {
  assets: number;
  stepsPerAsset: number;
  concurrency: number;
  batchSize: number;
}

const { noop } = proxyActivities<{ noop(): Promise<void> }>({ startToCloseTimeout: '1m' });

export async function baselineAssetWorkflow(steps: number): Promise<void> {
  for (let i = 0; i < steps; i++) await noop();
}

export async function baselineBatchWorkflow(
  input: BaselineInput & { offset: number; limit: number },
): Promise<void> {
  let running = 0;
  const done: Promise<void>[] = [];
  for (let i = 0; i < input.limit; i++) {
    await condition(() => running < input.concurrency);
    running++;
    done.push(
      executeChild(baselineAssetWorkflow, {
        workflowId: `${workflowInfo().workflowId}:${input.offset + i}`,
        args: [input.stepsPerAsset],
      }).finally(() => {
        running--;
      }),
    );
  }
  await Promise.all(done);
}

export async function baselineTaskWorkflow(input: BaselineInput): Promise<void> {
  for (let offset = 0; offset < input.assets; offset += input.batchSize) {
    await executeChild(baselineBatchWorkflow, {
      workflowId: `${workflowInfo().workflowId}:b${offset}`,
      args: [{ ...input, offset, limit: Math.min(input.batchSize, input.assets - offset) }],
    });
  }
}
