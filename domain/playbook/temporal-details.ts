import type { AssetCounts } from './status.js';

/**
 * "Current details" for the Temporal UI. Its Markdown renders lists, bold and links but no tables (a table came out
 * as "succeededfailedskippedcancelled"), so progress is a list. Pure and zod-free: workflow code imports it.
 */
function countList(items: [string, number][]): string {
  return items.map(([label, n]) => `- **${label}**: ${n}`).join('\n');
}

export function taskDetails(o: {
  status: string;
  paused: boolean;
  execution: number;
  batchesDone: number;
  batchesTotal: number;
  counts: AssetCounts;
}): string {
  const batch = Math.min(o.batchesDone + 1, o.batchesTotal);
  return (
    `**${o.status}**${o.paused ? ' (paused)' : ''} — execution ${o.execution}, batch ${batch} of ${o.batchesTotal}\n\n` +
    countList([
      ['succeeded', o.counts.Succeeded],
      ['failed', o.counts.Failed],
      ['skipped', o.counts.Skipped],
      ['cancelled', o.counts.Cancelled],
    ])
  );
}

export function batchDetails(o: {
  batchIndex: number;
  offset: number;
  limit: number;
  paused: boolean;
  running: number;
  counts: AssetCounts;
}): string {
  return (
    `**Batch ${o.batchIndex + 1}**: assets ${o.offset + 1}–${o.offset + o.limit}${o.paused ? ' (paused)' : ''}\n\n` +
    countList([
      ['running', o.running],
      ['succeeded', o.counts.Succeeded],
      ['failed', o.counts.Failed],
      ['cancelled', o.counts.Cancelled],
    ])
  );
}

/** One asset's steps so far, in order, each "step: status". */
export function assetDetails(assetName: string, steps: [step: string, status: string][]): string {
  return `**${assetName}**\n\n${steps.map(([step, status]) => `- ${step}: **${status}**`).join('\n')}`;
}
