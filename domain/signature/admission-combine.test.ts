import { describe, expect, it } from 'vitest';
import { combine, nOfM, readName, readUid } from './admission-combine.js';
import type { AdmissionDecision } from './admission-review.js';

const pass = { ok: true as const, keyVersion: 1, digest: 'sha256:a' };
const miss = (reason: string, unavailable = false) => ({ ok: false as const, reason, unavailable });

describe('N of M', () => {
  it('passes with the required number of witnesses and names the missing ones otherwise', () => {
    expect(
      nOfM(
        [
          { name: 'a', verdict: pass },
          { name: 'b', verdict: miss('none') },
        ],
        1,
      ),
    ).toBe(pass);
    const short = nOfM(
      [
        { name: 'a', verdict: pass },
        { name: 'b', verdict: miss('no signature') },
      ],
      2,
    );
    expect(short).toMatchObject({ ok: false, unavailable: false });
    expect(short.ok ? '' : short.reason).toBe(
      'signed by 1 of the 2 required witnesses ("a"); witness "b": no signature',
    );
  });

  it('is an outage only when a missing signature could have been in the unreachable registry', () => {
    const down = nOfM(
      [
        { name: 'a', verdict: miss('x', true) },
        { name: 'b', verdict: pass },
      ],
      2,
    );
    expect(down).toMatchObject({ ok: false, unavailable: true, digest: 'sha256:a' });
  });
});

describe('several policies', () => {
  const decision = (outcome: AdmissionDecision['outcome'], allowed: boolean, message: string) => ({
    allowed,
    outcome,
    message,
    warnings: [message],
    auditAnnotations: { decision: outcome },
  });

  it('answers with the strictest outcome; every policy must allow', () => {
    const both = combine([decision('allowed', true, 'p1 ok'), decision('denied', false, 'p2 denies')]);
    expect(both).toMatchObject({
      allowed: false,
      outcome: 'denied',
      message: 'p1 ok | p2 denies',
      warnings: ['p1 ok', 'p2 denies'],
      auditAnnotations: { decision: 'denied' },
    });
    expect(combine([decision('warned', true, 'w')]).outcome).toBe('warned');
  });
});

describe('object metadata', () => {
  it('reads the uid and the name (or generateName) of the reviewed object', () => {
    expect(readUid({ metadata: { uid: 'u-1' } })).toBe('u-1');
    expect(readUid({ metadata: { uid: '' } })).toBeUndefined();
    expect(readName({ metadata: { generateName: 'web-' } })).toBe('web-');
    expect(readName(null)).toBeUndefined();
  });
});
