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

/** HTTP client of the agent protocol (`/agent/v1/*`). */
export class AgentClient {
  constructor(
    private readonly server: string,
    private token: string | null = null,
  ) {}

  setToken(token: string): void {
    this.token = token;
  }

  private async request(
    method: string,
    path: string,
    opts: { body?: unknown; signal?: AbortSignal; timeoutMs?: number } = {},
  ): Promise<{ status: number; json: unknown }> {
    const headers: Record<string, string> = {};
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    const timeout = AbortSignal.timeout(opts.timeoutMs ?? REQUEST_TIMEOUT_MS);
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
    let res: Response;
    try {
      res = await fetch(`${this.server.replace(/\/$/, '')}${path}`, {
        method,
        headers,
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
        signal,
      });
    } catch (err) {
      if (opts.signal?.aborted) throw err;
      throw new ServerUnreachableError(`${method} ${path}: ${(err as Error).message}`, { cause: err });
    }
    const text = await res.text();
    const json: unknown = text === '' ? null : JSON.parse(text);
    if (!res.ok) {
      const parsed = ZErrorSchema.safeParse(json);
      throw new AgentHttpError(
        res.status,
        parsed.success ? parsed.data.error.message : `HTTP ${res.status}`,
        parsed.success ? parsed.data.error.details : undefined,
      );
    }
    return { status: res.status, json };
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
