import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TAgentJob } from '../../domain/agent-jobs.js';
import type { TBaselineReport } from '../../domain/baseline-checks.js';
import {
  openScapPresent,
  PREPARED_ROOT_CHECK_ITEMS,
  PREPARED_ROOT_RULES,
  writePreparedRoot,
} from '../../test/fixtures/prepared-root.js';
import { baselineSupport, runBaselineCheck } from './baseline.js';

const job = (checkItems: string[]): TAgentJob => ({
  id: 'j-1',
  kind: 'baseline',
  payload: { policyName: 'Account files', checkItems },
  summary: null,
  attempt: 1,
  createdAt: new Date().toISOString(),
});

const context = () => {
  let output = '';
  return {
    ctx: {
      signal: new AbortController().signal,
      output: (t: string) => {
        output += t;
      },
      stateDir: null,
      dryRun: false,
    },
    output: () => output,
  };
};

describe.skipIf(!openScapPresent)('baseline checks with the real oscap-chroot', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'vigil-scap-root-'));
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('evaluates the selected SSG rules of a prepared root, then the same rules once fixed', async () => {
    await writePreparedRoot(root, 'broken');
    expect(await baselineSupport({ baselineRoot: root })).toMatchObject({
      available: true,
      content: '/usr/share/xml/scap/ssg/content/ssg-debian11-ds.xml',
    });
    const run = async () => {
      const { ctx, output } = context();
      const started = Date.now();
      const outcome = await runBaselineCheck(job(PREPARED_ROOT_CHECK_ITEMS), ctx, { baselineRoot: root });
      return { outcome, ms: Date.now() - started, output: output() };
    };
    const broken = await run();
    console.log(`oscap-chroot on the broken root: ${broken.ms} ms`);
    expect(broken.outcome.exitCode).toBe(0);
    expect(broken.output).toContain('oscap-chroot');
    expect(broken.output).toContain('--tailoring-file');
    const report = broken.outcome.details.baseline as TBaselineReport;
    if (report.status !== 'checked') throw new Error(`not checked: ${JSON.stringify(report)}`);
    expect(
      report.rules
        .filter((r) => r.result === 'fail')
        .map((r) => r.ruleId)
        .sort(),
    ).toEqual(PREPARED_ROOT_RULES.failing);
    expect(report.rules.filter((r) => r.result === 'pass').map((r) => r.ruleId)).toEqual(
      PREPARED_ROOT_RULES.passing,
    );

    await writePreparedRoot(root, 'fixed');
    const fixed = await run();
    console.log(`oscap-chroot on the fixed root: ${fixed.ms} ms`);
    const after = fixed.outcome.details.baseline as TBaselineReport;
    expect(after.status === 'checked' && after.rules.every((r) => r.result === 'pass')).toBe(true);
  }, 60_000);

  it('says why a root without SCAP content for its release cannot be checked', async () => {
    const bare = await mkdtemp(path.join(os.tmpdir(), 'vigil-scap-bare-'));
    try {
      const { ctx } = context();
      const outcome = await runBaselineCheck(job(['file_permissions_etc_passwd']), ctx, {
        baselineRoot: bare,
      });
      expect(outcome).toMatchObject({
        exitCode: 0,
        details: { baseline: { status: 'unsupported', reason: expect.stringContaining('no OS release') } },
      });
    } finally {
      await rm(bare, { recursive: true, force: true });
    }
  });
});
