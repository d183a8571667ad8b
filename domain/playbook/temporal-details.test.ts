import { describe, expect, it } from 'vitest';
import { emptyAssetCounts } from './status.js';
import { assetDetails, batchDetails, taskDetails } from './temporal-details.js';

describe('Temporal UI current details', () => {
  const counts = { ...emptyAssetCounts(), Succeeded: 40, Failed: 2, Skipped: 1 };
  it('are Markdown lists with bold labels, never tables (the UI renders no tables)', () => {
    const task = taskDetails({
      status: 'Progressing',
      paused: false,
      execution: 1,
      batchesDone: 1,
      batchesTotal: 3,
      counts,
    });
    expect(task).toBe(
      '**Progressing** — execution 1, batch 2 of 3\n\n- **succeeded**: 40\n- **failed**: 2\n- **skipped**: 1\n- **cancelled**: 0',
    );
    const batch = batchDetails({ batchIndex: 0, offset: 0, limit: 10, paused: true, running: 3, counts });
    expect(batch).toContain('**Batch 1**: assets 1–10 (paused)');
    expect(batch).toContain('- **running**: 3');
    const asset = assetDetails('web-01', [
      ['precheck', 'succeeded'],
      ['fix USN-1 (openssl)', 'failed (exit 1)'],
    ]);
    expect(asset).toBe('**web-01**\n\n- precheck: **succeeded**\n- fix USN-1 (openssl): **failed (exit 1)**');
    for (const md of [task, batch, asset]) expect(md).not.toMatch(/\|/);
  });
});
