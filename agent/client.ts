import http from 'node:http';
import https from 'node:https';
import { z } from 'zod';
import {
  ZAgentJobSchema,
  ZJobResultResponseSchema,
  ZRegisterResponseSchema,
  type TAgentJob,
  type THeartbeatRequest,
  type TJobResultRequest,
  type TOutputChunk,
  type TRegisterRequest,
  type TRegisterResponse,
} from '../domain/agent-jobs.js';

/** The server answered with an error status (4xx/5xx). */
export class AgentHttpError extends Error {
  override name = 'AgentHttpError';
  constructor(
    readonly status: number,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/** The server could not be reached (refused, reset, timed out): retry with backoff. */
export class ServerUnreachableError extends Error {
  override name = 'ServerUnreachableError';
}

const ZHeartbeatAnswerSchema = z.object({ cancel: z.boolean(), outputLength: z.number().int() });
const ZOutputAnswerSchema = z.object({ outputLength: z.number().int() });
const ZErrorSchema = z.object({ error: z.object({ message: z.string(), details: z.unknown().optional() }) });

/** Default time limit of a request other than the long poll. */
const REQUEST_TIMEOUT_MS = 30_000;

/**
 * HTTP client of the agent protocol (`/agent/v1/*`). Each client keeps its own keep-alive connections (node:http or
 * node:https by the server URL), as one agent per host does; `close` releases them.
 */
export class AgentClient {
  private readonly base: URL;
  private readonly transport: typeof http | typeof https;
  private readonly connections: http.Agent;

  constructor(
    server: string,
    private token: string | null = null,
  ) {
    this.base = new URL(server.replace(/\/$/, ''));
    this.transport = this.base.protocol === 'https:' ? https : http;
    this.connections = new this.transport.Agent({ keepAlive: true, maxSockets: 4 });
  }

  setToken(token: string): void {
    this.token = token;
  }

  /** Closes the kept-alive connections. */
  close(): void {
    this.connections.destroy();
  }

  private request(
    method: string,
    path: string,
    opts: { body?: unknown; signal?: AbortSignal; timeoutMs?: number } = {},
  ): Promise<{ status: number; json: unknown }> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    if (payload !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    const what = `${method} ${path}`;
    return new Promise((resolve, reject) => {
      let settled = false;
      const finish = (err: Error | null, value?: { status: number; json: unknown }) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else if (value) resolve(value);
      };
      const req = this.transport.request(
        new URL(`${this.base.pathname.replace(/\/$/, '')}${path}`, this.base),
        { method, headers, agent: this.connections },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (err) =>
            finish(new ServerUnreachableError(`${what}: ${err.message}`, { cause: err })),
          );
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            const text = Buffer.concat(chunks).toString('utf8');
            let json: unknown;
            try {
              json = text === '' ? null : JSON.parse(text);
            } catch (err) {
              // A proxy's HTML error page, or a truncated body: the server is not answering as Vigil.
              finish(
                new ServerUnreachableError(`${what}: HTTP ${status} with a body that is not JSON`, {
                  cause: err,
                }),
              );
              return;
            }
            if (status >= 200 && status < 300) return finish(null, { status, json });
            const parsed = ZErrorSchema.safeParse(json);
            finish(
              new AgentHttpError(
                status,
                parsed.success ? parsed.data.error.message : `HTTP ${status}`,
                parsed.success ? parsed.data.error.details : undefined,
              ),
            );
          });
        },
      );
      const onAbort = () => {
        const reason: unknown = opts.signal?.reason;
        const err = reason instanceof Error ? reason : new Error('aborted');
        finish(err);
        req.destroy(err);
      };
      const timer = setTimeout(() => {
        const err = new ServerUnreachableError(
          `${what}: no answer within ${opts.timeoutMs ?? REQUEST_TIMEOUT_MS} ms`,
        );
        finish(err);
        req.destroy(err);
      }, opts.timeoutMs ?? REQUEST_TIMEOUT_MS);
      if (opts.signal?.aborted) return onAbort();
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      req.on('error', (err) => finish(new ServerUnreachableError(`${what}: ${err.message}`, { cause: err })));
      req.end(payload);
    });
  }

  async register(body: TRegisterRequest): Promise<TRegisterResponse> {
    const { json } = await this.request('POST', '/agent/v1/register', { body });
    return ZRegisterResponseSchema.parse(json);
  }

  /** Long poll for the next job; null when none arrived within the wait. */
  async poll(waitSeconds: number, signal?: AbortSignal): Promise<TAgentJob | null> {
    const { status, json } = await this.request('GET', `/agent/v1/jobs?waitSeconds=${waitSeconds}`, {
      signal,
      timeoutMs: (waitSeconds + 15) * 1000,
    });
    return status === 204 ? null : ZAgentJobSchema.parse(json);
  }

  async heartbeat(jobId: string, body: THeartbeatRequest, signal?: AbortSignal) {
    const { json } = await this.request('POST', `/agent/v1/jobs/${jobId}/heartbeat`, { body, signal });
    return ZHeartbeatAnswerSchema.parse(json);
  }

  async output(jobId: string, chunk: TOutputChunk, signal?: AbortSignal) {
    const { json } = await this.request('POST', `/agent/v1/jobs/${jobId}/output`, { body: chunk, signal });
    return ZOutputAnswerSchema.parse(json);
  }

  async result(jobId: string, body: TJobResultRequest, signal?: AbortSignal) {
    const { json } = await this.request('POST', `/agent/v1/jobs/${jobId}/result`, { body, signal });
    return ZJobResultResponseSchema.parse(json);
  }
}
