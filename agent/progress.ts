import type { AgentEvent, AgentStats } from './agent.js';

/**
 * What the agent shows while it runs: on a terminal a single, rewritten progress line (jobs done/failed, current
 * job); otherwise (a service, a log file) plain log lines.
 */
export function createProgressReporter(opts: {
  stream: NodeJS.WriteStream;
  label: string;
  stats: () => AgentStats;
}) {
  const tty = opts.stream.isTTY === true;
  let lineShown = false;

  const clear = () => {
    if (tty && lineShown) opts.stream.write('\r\x1b[2K');
    lineShown = false;
  };

  const log = (text: string) => {
    clear();
    opts.stream.write(`${new Date().toISOString()} ${text}\n`);
    render();
  };

  function render() {
    if (!tty) return;
    const s = opts.stats();
    const current = s.current
      ? `running ${s.current.summary ?? `${s.current.kind} ${s.current.id}`}`
      : 'idle';
    const link = s.connected ? '' : ' · disconnected';
    const line = `${opts.label} · done ${s.done} · failed ${s.failed} · cancelled ${s.cancelled} · ${current}${link}`;
    const width = opts.stream.columns ?? 120;
    opts.stream.write(`\r\x1b[2K${line.length > width ? `${line.slice(0, width - 1)}…` : line}`);
    lineShown = true;
  }

  function onEvent(e: AgentEvent) {
    switch (e.type) {
      case 'registered':
        log(
          e.reused
            ? `using the stored agent token (asset ${e.assetId})`
            : `registered as agent ${e.agentId} for asset ${e.assetId}`,
        );
        break;
      case 'job-started':
        if (tty) render();
        else log(`job ${e.job.id} started: ${e.job.summary ?? e.job.kind}`);
        break;
      case 'job-finished':
        log(
          `job ${e.job.id} ${e.status} (exit ${e.exitCode}, ${(e.ms / 1000).toFixed(1)} s): ${e.job.summary ?? e.job.kind}`,
        );
        break;
      case 'disconnected':
        log(`server unreachable (${e.error}); retrying in ${(e.retryInMs / 1000).toFixed(1)} s`);
        break;
      case 'reconnected':
        log('connected again');
        break;
      case 'warning':
        log(`warning: ${e.message}`);
        break;
    }
  }

  return { onEvent, log, close: clear };
}
