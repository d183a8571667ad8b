// @vitest-environment jsdom
// Mermaid's own parser needs a DOM (DOMPurify); jsdom provides one.
import { describe, expect, it } from 'vitest';
import { buildFlow, flowToMermaid, flowToSvg, type FlowInput, type TFlowGraph } from './flow.js';

const base: FlowInput = {
  taskStatus: 'PartiallyFailed',
  windowed: true,
  windowReached: true,
  snapshot: true,
  verify: true,
  reboot: false,
  steps: {
    precheck: { outcomes: { succeeded: 3 }, attempts: 3 },
    snapshot: { outcomes: { succeeded: 3 }, attempts: 3 },
    fix: { outcomes: { succeeded: 5, failed: 1 }, attempts: 6 },
    verify: { outcomes: { succeeded: 2 }, attempts: 2 },
  },
  notificationsSent: 2,
  channels: 1,
};
const status = (g: TFlowGraph) => Object.fromEntries(g.nodes.map((n) => [n.id, n.status]));

async function parseMermaid(text: string): Promise<unknown> {
  const { default: mermaid } = await import('mermaid');
  return mermaid.parse(text);
}

describe('policy flow', () => {
  const flow = buildFlow(base);
  it('lists the enabled nodes in order with counts', () => {
    expect(flow.nodes.map((n) => n.id)).toEqual([
      'start',
      'wait',
      'precheck',
      'snapshot',
      'fix',
      'verify',
      'notify',
      'end',
    ]);
    expect(flow.edges[0]).toEqual({ from: 'start', to: 'wait' });
    expect(flow.nodes.find((n) => n.id === 'fix')).toMatchObject({
      status: 'failed',
      counts: { succeeded: 5, failed: 1 },
    });
    expect(flow.nodes.find((n) => n.id === 'end')?.status).toBe('failed');
  });

  it('counts outcomes, with the attempts of retried steps apart', () => {
    // The demo's first task: every asset's fix failed once and succeeded on its retry.
    const g = buildFlow({
      ...base,
      taskStatus: 'Succeeded',
      steps: {
        precheck: { outcomes: { succeeded: 50 }, attempts: 50 },
        fix: { outcomes: { succeeded: 150 }, attempts: 200 },
      },
    });
    const fix = g.nodes.find((n) => n.id === 'fix');
    expect(fix).toMatchObject({ status: 'done', counts: { succeeded: 150 }, attempts: 200 });
    const m = flowToMermaid(g);
    expect(m).toContain('Fix<br/>succeeded 150 (200 attempts)');
    expect(m).not.toMatch(/:::failed|failed \d/);
    expect(status(g).end).toBe('done');
  });

  it('a finished task shows steps that did not run as skipped or not required, never pending', () => {
    const g = buildFlow({
      ...base,
      taskStatus: 'Succeeded',
      reboot: true,
      channels: 0,
      notificationsSent: 0,
      steps: {
        precheck: { outcomes: { succeeded: 2 }, attempts: 2 },
        fix: { outcomes: { succeeded: 2 }, attempts: 2 },
      },
    });
    expect(status(g)).toMatchObject({
      snapshot: 'skipped',
      verify: 'skipped',
      reboot: 'notRequired',
      notify: 'notRequired',
    });
    expect(Object.values(status(g))).not.toContain('pending');
    expect(flowToMermaid(g)).toContain('Reboot<br/>not required');
  });

  it('a task cancelled in its wait shows Cancelled nodes, not a finished wait and a failed end', () => {
    const g = buildFlow({
      ...base,
      taskStatus: 'Cancelled',
      windowReached: false,
      steps: {},
      notificationsSent: 0,
    });
    expect(status(g)).toEqual({
      start: 'done',
      wait: 'cancelled',
      precheck: 'cancelled',
      snapshot: 'cancelled',
      fix: 'cancelled',
      verify: 'cancelled',
      notify: 'cancelled',
      end: 'cancelled',
    });
    // Cancelled after the window opened: what ran keeps its outcome, the rest is cancelled.
    const later = buildFlow({
      ...base,
      taskStatus: 'Cancelled',
      steps: { precheck: { outcomes: { succeeded: 1, cancelled: 1 }, attempts: 2 } },
    });
    expect(status(later)).toMatchObject({
      wait: 'done',
      precheck: 'done',
      fix: 'cancelled',
      end: 'cancelled',
    });
  });

  it('renders Mermaid that Mermaid’s own parser accepts, for every node status', async () => {
    const flows = [
      flow,
      buildFlow({ ...base, taskStatus: 'Cancelled', windowReached: false, steps: {} }),
      buildFlow({ ...base, taskStatus: 'Waiting', windowReached: false, steps: {} }),
      buildFlow({
        ...base,
        taskStatus: 'Progressing',
        steps: { fix: { outcomes: { running: 2 }, attempts: 2 } },
      }),
      buildFlow({ ...base, taskStatus: 'Succeeded', reboot: true, channels: 0, notificationsSent: 0 }),
      buildFlow({ ...base, taskStatus: 'Expired', windowReached: false, steps: {} }),
    ];
    const seen = new Set(flows.flatMap((g) => g.nodes.map((n) => n.status)));
    expect([...seen].sort()).toEqual([
      'cancelled',
      'done',
      'failed',
      'notRequired',
      'pending',
      'running',
      'skipped',
    ]);
    for (const g of flows) {
      const m = flowToMermaid(g);
      await expect(parseMermaid(m), m).resolves.toMatchObject({
        diagramType: expect.stringContaining('flowchart'),
      });
    }
    // The parser is strict: the old output, which declared a node `end`, is refused.
    await expect(
      parseMermaid('flowchart LR\n  start["Start"]\n  end["End"]\n  start --> end\n'),
    ).rejects.toThrow();
  });

  it('renders SVG', () => {
    const svg = flowToSvg(flow);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.match(/<rect /g)).toHaveLength(8);
    expect(svg).toContain('Wait for window');
  });
});
