import { describe, expect, it } from 'vitest';
import {
  canTransitionAsset,
  canTransitionTask,
  emptyAssetCounts,
  taskOutcome,
  taskStatusesBefore,
} from './status.js';

describe('status machines', () => {
  it('moves tasks only along allowed edges', () => {
    expect(canTransitionTask('Waiting', 'Progressing')).toBe(true);
    expect(canTransitionTask('Waiting', 'Cancelled')).toBe(true);
    expect(canTransitionTask('Progressing', 'Cancelling')).toBe(true);
    expect(canTransitionTask('Cancelling', 'Progressing')).toBe(false);
    expect(canTransitionTask('Succeeded', 'Progressing')).toBe(false);
    expect(canTransitionTask('Failed', 'Progressing')).toBe(true);
    expect(taskStatusesBefore('Cancelled')).toEqual(['Waiting', 'Paused', 'Cancelling', 'Cancelled']);
    expect(canTransitionAsset('Pending', 'Running')).toBe(true);
    expect(canTransitionAsset('Succeeded', 'Failed')).toBe(false);
  });
  it('derives the final task status from asset outcomes', () => {
    const c = (o: Partial<ReturnType<typeof emptyAssetCounts>>) => ({ ...emptyAssetCounts(), ...o });
    expect(taskOutcome({ counts: c({ Succeeded: 3 }), cancelled: false, windowClosed: false })).toBe(
      'Succeeded',
    );
    expect(
      taskOutcome({ counts: c({ Succeeded: 2, Failed: 1 }), cancelled: false, windowClosed: false }),
    ).toBe('PartiallyFailed');
    expect(taskOutcome({ counts: c({ Failed: 1, Skipped: 2 }), cancelled: false, windowClosed: false })).toBe(
      'Failed',
    );
    expect(taskOutcome({ counts: c({ Skipped: 3 }), cancelled: false, windowClosed: true })).toBe('Expired');
    expect(taskOutcome({ counts: c({ Succeeded: 3 }), cancelled: true, windowClosed: false })).toBe(
      'Cancelled',
    );
  });
});
