import { createHash } from 'node:crypto';
import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TAgentJob } from '../../domain/agent-jobs.js';
import { baselineSelection, type TBaselineReport } from '../../domain/baseline-checks.js';
import { readArfResults } from './arf-results.js';
import { runProcess } from './process.js';
import type { ExecutorOutcome, JobContext } from './types.js';

/** Where Debian's ssg-debian / ssg-debderived packages install their SCAP data streams. */
export const SSG_CONTENT_DIR = '/usr/share/xml/scap/ssg/content';

export interface BaselineOptions {
  /** Check a prepared root (a container image, a mounted snapshot) through `oscap-chroot` instead of this host. */
  baselineRoot?: string;
  /** Folder of SSG data streams (default: Debian's). */
  scapContentDir?: string;
  /** `oscap` binary (default: from PATH); `oscap-chroot` and `autotailor` are looked up beside it on PATH. */
  oscapCommand?: string;
}

export interface BaselineSupport {
  available: boolean;
  reason?: string;
  /** The data stream matching the checked system's OS. */
  content?: string;
}

const OS_RELEASE_FIELDS = /^(ID|VERSION_ID)=(?:"([^"]*)"|(.*))$/gm;

/** The SSG data stream for the checked system's OS, from its os-release or debian_version. */
async function contentFor(root: string, dir: string): Promise<BaselineSupport> {
  const read = (p: string) => readFile(path.join(root, p), 'utf8').catch(() => null);
  const release = (await read('etc/os-release')) ?? (await read('usr/lib/os-release')) ?? '';
  const fields = new Map([...release.matchAll(OS_RELEASE_FIELDS)].map((m) => [m[1], m[2] ?? m[3] ?? '']));
  // debian_version is what SSG's own CPE check reads (its platform is `^11.[0-9]+$` for debian11).
  const debianVersion = (await read('etc/debian_version'))?.trim();
  const candidates: string[] = [];
  if (debianVersion && /^\d+/.test(debianVersion))
    candidates.push(`debian${/^\d+/.exec(debianVersion)?.[0]}`);
  else if (fields.get('ID') === 'debian' && fields.get('VERSION_ID'))
    candidates.push(`debian${fields.get('VERSION_ID')}`);
  if (fields.get('ID') === 'ubuntu' && fields.get('VERSION_ID'))
    candidates.push(`ubuntu${fields.get('VERSION_ID')?.replace('.', '')}`);
  if (candidates.length === 0) return { available: false, reason: `no OS release found under ${root}` };
  for (const c of candidates) {
    const file = path.join(dir, `ssg-${c}-ds.xml`);
    if (
      await access(file).then(
        () => true,
        () => false,
      )
    )
      return { available: true, content: file };
  }
  return {
    available: false,
    reason: `no SCAP content for ${candidates.join('/')} in ${dir} (install ssg-debian or ssg-debderived with content for this release)`,
  };
}

/** One probe per binary and process: a simulated fleet of a thousand agents does not start a thousand oscaps. */
const probes = new Map<string, Promise<boolean>>();
function installed(command: string): Promise<boolean> {
  let probe = probes.get(command);
  if (!probe) {
    probe = runProcess(command, ['--version'], {
      signal: new AbortController().signal,
      output: () => undefined,
    }).then((r) => r.exitCode === 0);
    probes.set(command, probe);
  }
  return probe;
}

/** Whether this agent can run baseline checks: oscap installed and content for the checked system's OS. */
export async function baselineSupport(opts: BaselineOptions): Promise<BaselineSupport> {
  const probe = await installed(opts.oscapCommand ?? 'oscap');
  if (!probe)
    return { available: false, reason: 'OpenSCAP is not installed on this host (install openscap-scanner)' };
  if (opts.baselineRoot) {
    const chroot = await runProcess('oscap-chroot', [], {
      signal: new AbortController().signal,
      output: () => undefined,
    });
    if (chroot.exitCode === 127)
      return { available: false, reason: 'oscap-chroot is not installed (install openscap-utils)' };
  }
  return contentFor(opts.baselineRoot ?? '/', opts.scapContentDir ?? SSG_CONTENT_DIR);
}

const policyLabel = (job: TAgentJob) =>
  typeof job.payload.policyName === 'string' ? job.payload.policyName : 'baseline policy';

/**
 * A `baseline` job: evaluates the policy's SSG rules with OpenSCAP (`oscap xccdf eval`, or `oscap-chroot <root>`
 * for a prepared root) and reports every selected rule's result with evidence and remediation. The profile is
 * tailored with `autotailor` so that rules the base profile leaves out still run; `--rule` limits the run to the
 * policy's rules. A host that cannot check says why and exits 0: "unsupported" is a result, not a failure.
 */
export async function runBaselineCheck(
  job: TAgentJob,
  ctx: JobContext,
  opts: BaselineOptions,
): Promise<ExecutorOutcome> {
  const items = Array.isArray(job.payload.checkItems)
    ? job.payload.checkItems.filter((i): i is string => typeof i === 'string')
    : [];
  if (items.length === 0)
    return { exitCode: 1, details: { error: 'a baseline job needs payload.checkItems' } };
  const support = await baselineSupport(opts);
  if (!support.available || !support.content) {
    const reason = support.reason ?? 'baseline checks are not available on this host';
    ctx.output(`${policyLabel(job)}: not checked: ${reason}\n`);
    const report: TBaselineReport = { status: 'unsupported', reason };
    return { exitCode: 0, details: { baseline: report } };
  }
  const content = support.content;
  const selection = baselineSelection(items);
  const work = await mkdtemp(path.join(os.tmpdir(), 'vigil-oscap-'));
  try {
    let profile = selection.profile;
    const tailoringArgs: string[] = [];
    if (selection.rules.length > 0) {
      const tailoring = path.join(work, 'tailoring.xml');
      const hash = createHash('sha256').update(selection.rules.join('\n')).digest('hex').slice(0, 12);
      profile = `xccdf_org.vigil_profile_${hash}`;
      const tailored = await runProcess(
        'autotailor',
        [
          ...selection.rules.flatMap((r) => ['-s', r]),
          '-p',
          profile,
          '-o',
          tailoring,
          content,
          selection.profile,
        ],
        { signal: ctx.signal, output: ctx.output },
      );
      if (tailored.exitCode !== 0)
        return { exitCode: tailored.exitCode, details: { error: 'autotailor failed' } };
      tailoringArgs.push('--tailoring-file', tailoring);
    }
    const arf = path.join(work, 'arf.xml');
    const evalArgs = [
      'xccdf',
      'eval',
      '--profile',
      profile,
      ...tailoringArgs,
      ...selection.rules.flatMap((r) => ['--rule', r]),
      '--results-arf',
      arf,
      content,
    ];
    const [command, args] = opts.baselineRoot
      ? ['oscap-chroot', [opts.baselineRoot, ...evalArgs]]
      : [opts.oscapCommand ?? 'oscap', evalArgs];
    ctx.output(`$ ${command} ${args.join(' ')}\n`);
    // oscap: 0 all passed, 2 some rule failed, anything else an error (oscap(8)).
    const evaluated = await runProcess(command, args, { signal: ctx.signal, output: ctx.output });
    if (evaluated.exitCode !== 0 && evaluated.exitCode !== 2)
      return { exitCode: evaluated.exitCode, details: { error: `${command} exited ${evaluated.exitCode}` } };
    const rules = await readArfResults(arf);
    const failed = rules.filter((r) => r.result === 'fail').length;
    ctx.output(`${policyLabel(job)}: ${rules.length} rules evaluated, ${failed} failed\n`);
    const report: TBaselineReport = {
      status: 'checked',
      content: path.basename(content),
      profile: selection.profile,
      rules,
    };
    return { exitCode: 0, details: { baseline: report } };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
