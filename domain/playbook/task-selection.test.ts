import { describe, expect, it } from 'vitest';
import { effectiveCapabilities, fixAvailability } from './task-selection.js';

describe('what an asset’s agent can fix', () => {
  it('no agent → "no agent"', () => {
    expect(fixAvailability(null, 'linux')).toBe('no agent');
  });
  it('an agent that reported nothing can do what its executor does', () => {
    expect(fixAvailability({ executor: 'apt', capabilities: {} }, 'linux')).toBe('supported');
    expect(fixAvailability({ executor: 'apt', capabilities: {} }, 'windows')).toBe(
      'unsupported on this host',
    );
  });
  it('what an agent reported wins over its executor’s defaults, member by member', () => {
    const reported = { executor: 'simulate' as const, capabilities: { fixes: ['windows' as const] } };
    expect(fixAvailability(reported, 'windows')).toBe('supported');
    expect(fixAvailability(reported, 'linux')).toBe('unsupported on this host');
    expect(effectiveCapabilities({ executor: 'dnf', capabilities: { dryRun: true } })).toEqual({
      fixes: ['linux'],
      scan: true,
      dryRun: true,
    });
  });
  it('a stored value that does not parse is not trusted beyond the defaults', () => {
    const broken = { executor: 'apt' as const, capabilities: { fixes: ['mainframe'] } as never };
    expect(effectiveCapabilities(broken).fixes).toEqual(['linux']);
  });
});
