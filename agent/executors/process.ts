import { spawn } from 'node:child_process';
import { JobCancelledError } from './types.js';

export interface ProcessResult {
  exitCode: number;
  /** stdout and stderr interleaved as they arrived. */
  output: string;
}

/** Grace between SIGTERM and SIGKILL when a job is cancelled. */
const KILL_GRACE_MS = 5_000;

/**
 * Runs a command without a shell, streaming its output; a cancelled job's child gets SIGTERM, then SIGKILL.
 * A command that cannot start (not installed) is exit code 127 with the reason in the output, like a shell.
 */
export function runProcess(
  command: string,
  args: string[],
  opts: { signal: AbortSignal; output: (text: string) => void; env?: NodeJS.ProcessEnv; cwd?: string },
): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    if (opts.signal.aborted) return reject(new JobCancelledError());
    let output = '';
    const emit = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      output += text;
      opts.output(text);
    };
    const child = spawn(command, args, {
      env: { ...process.env, ...opts.env },
      cwd: opts.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let killTimer: NodeJS.Timeout | undefined;
    let settled = false;
    const onAbort = () => {
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
      killTimer.unref();
    };
    opts.signal.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', emit);
    child.stderr.on('data', emit);
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (settled) return;
      settled = true;
      opts.signal.removeEventListener('abort', onAbort);
      const text = `${command}: ${err.code === 'ENOENT' ? 'command not found' : err.message}\n`;
      opts.output(text);
      resolve({ exitCode: 127, output: output + text });
    });
    child.on('close', (code, signal) => {
      if (settled) return;
      settled = true;
      opts.signal.removeEventListener('abort', onAbort);
      if (killTimer) clearTimeout(killTimer);
      if (opts.signal.aborted) return reject(new JobCancelledError());
      resolve({ exitCode: code ?? (signal ? 128 + 9 : 1), output });
    });
  });
}
