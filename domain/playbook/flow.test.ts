import { describe, expect, it } from 'vitest';
import { buildFlow, flowToMermaid, flowToSvg } from './flow.js';

describe('policy flow', () => {
  const flow = buildFlow({
    taskStatus: 'PartiallyFailed',
    windowed: true,
    snapshot: true,
    verify: true,
    reboot: false,
    steps: {
      precheck: { succeeded: 3 },
      snapshot: { succeeded: 3 },
      fix: { succeeded: 5, failed: 1 },
      verify: { succeeded: 2 },
    },
    notificationsSent: 2,
  });
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
  it('renders Mermaid and SVG', () => {
    const m = flowToMermaid(flow);
    expect(m).toContain('flowchart LR');
    expect(m).toContain('fix["Fix<br/>succeeded 5, failed 1"]:::failed');
    expect(m).toContain('precheck --> snapshot');
    const svg = flowToSvg(flow);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.match(/<rect /g)).toHaveLength(8);
    expect(svg).toContain('Wait for window');
  });
});
