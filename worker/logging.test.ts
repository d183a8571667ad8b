import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { VigilError } from '../domain/errors.js';
import { asTemporalFailure } from './logging.js';

describe('activity failures', () => {
  it('a broken rule becomes a non-retryable failure named after its code', () => {
    const failure = asTemporalFailure(new VigilError('conflict', 'the task already ended', { taskId: 't1' }));
    expect(failure).toBeInstanceOf(ApplicationFailure);
    const f = failure as ApplicationFailure;
    expect(f.nonRetryable).toBe(true);
    expect(f.type).toBe('VigilError:conflict');
    expect(f.message).toBe('the task already ended');
    expect(f.details).toEqual([{ taskId: 't1' }]);
  });

  it('an outage and any other error keep the retry policy', () => {
    const outage = new VigilError('unavailable', 'registry down');
    expect(asTemporalFailure(outage)).toBe(outage);
    const plain = new Error('ECONNRESET');
    expect(asTemporalFailure(plain)).toBe(plain);
  });
});
