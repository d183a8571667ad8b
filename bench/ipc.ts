import { fork, type StdioOptions } from 'node:child_process';
import { errorMessage } from '../domain/errors.js';

/**
 * A bench's server in a child process, driven over the IPC channel (`fork`): the parent calls the child's methods by
 * name, one reply per call, matched by id. The child announces itself with the reply of id 0 (its `ready` value).
 * Used by bench/signature.ts and bench/api.ts so the load generator's CPU and GC stay out of the server's figures.
 */
type Methods = Record<string, (...args: never[]) => unknown>;
interface Call {
  id: number;
  method: string;
  args: unknown[];
}
type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };

export interface Forked<M extends Methods, Ready> {
  ready: Ready;
  call<K extends keyof M & string>(method: K, ...args: Parameters<M[K]>): Promise<Awaited<ReturnType<M[K]>>>;
  /** Calls `close` on the child, then waits for it to exit. */
  close(): Promise<void>;
}

/** The parent's side: fork `entry` (with tsx's loader from process.execArgv) and wait for its `ready` value. */
export async function forkRpc<M extends Methods, Ready>(
  entry: string,
  args: string[],
  opts: { name: string; stdio?: StdioOptions; serialization?: 'json' | 'advanced' },
): Promise<Forked<M, Ready>> {
  const child = fork(entry, args, {
    execArgv: process.execArgv,
    stdio: opts.stdio ?? ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: opts.serialization ?? 'json',
  });
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  child.on('message', (m: Reply) => {
    const w = waiting.get(m.id);
    waiting.delete(m.id);
    if (m.ok) w?.resolve(m.value);
    else w?.reject(new Error(`${opts.name}: ${m.error}`));
  });
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code) => {
      for (const w of waiting.values()) w.reject(new Error(`${opts.name} exited with ${String(code)}`));
      waiting.clear();
      resolve();
    }),
  );
  let nextId = 1;
  const call = <K extends keyof M & string>(method: K, ...callArgs: Parameters<M[K]>) =>
    new Promise<Awaited<ReturnType<M[K]>>>((resolve, reject) => {
      const id = nextId++;
      waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      child.send({ id, method, args: callArgs } satisfies Call);
    });
  const ready = await new Promise<Ready>((resolve, reject) => {
    waiting.set(0, { resolve: resolve as (v: unknown) => void, reject });
  });
  return {
    ready,
    call,
    close: async () => {
      try {
        await call('close', ...([] as unknown as Parameters<M['close']>));
      } catch (err) {
        // A child whose close failed would keep this process alive through its channel.
        child.kill();
        throw err;
      } finally {
        await exited;
      }
    },
  };
}

/**
 * The child's side: announce `ready` (id 0), then answer calls until `close` (which must exist), after which the
 * channel is closed, or with `exitAfterClose` the process exits (for services whose timers are not the bench's).
 * With `exitAfterClose`, a parent that goes away without calling `close` (it failed or was stopped) still gets the
 * child's `close` (e.g. its scratch database dropped) and exit.
 */
export function answerRpc(methods: Methods, ready: unknown, opts: { exitAfterClose?: boolean } = {}): void {
  const send = (m: Reply) => process.send?.(m);
  send({ id: 0, ok: true, value: ready });
  let closing = false;
  if (opts.exitAfterClose) {
    process.once('disconnect', () => {
      if (closing) return;
      const close = methods.close as (() => unknown) | undefined;
      Promise.resolve(close?.()).then(
        () => process.exit(0),
        (err: unknown) => {
          process.stderr.write(`closing after the parent went away: ${errorMessage(err)}\n`);
          process.exit(1);
        },
      );
    });
  }
  process.on('message', (m: Call) => {
    if (m.method === 'close') closing = true;
    const run = async () => {
      const method = methods[m.method];
      if (!method) throw new Error(`no method ${m.method}`);
      return ((await (method as (...a: unknown[]) => unknown)(...m.args)) as unknown) ?? null;
    };
    run().then(
      (value) => {
        if (m.method !== 'close') return send({ id: m.id, ok: true, value });
        // The reply is flushed before the channel closes or the process exits.
        process.send?.({ id: m.id, ok: true, value } satisfies Reply, undefined, undefined, () => {
          if (opts.exitAfterClose) process.exit(0);
          else process.disconnect();
        });
      },
      (err: unknown) => send({ id: m.id, ok: false, error: errorMessage(err) }),
    );
  });
}
