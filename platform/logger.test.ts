import { Writable } from 'node:stream';
import { DrizzleQueryError } from 'drizzle-orm/errors';
import { describe, expect, it } from 'vitest';
import { createLogger, MAX_LOG_LINE_CHARS } from './logger.js';

/** A logger writing into an array of lines (pino writes one JSON line per call). */
function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { logger: createLogger('info', stream), lines };
}

const TOKEN_HASH = 'f3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const SEALED = 'v1.gcm.AAAAsealedSECRETbytesAAAA';

describe('logger', () => {
  it('logs a failed query without its bound values: no token hash, no sealed secret, cause kept', () => {
    const { logger, lines } = capture();
    const cause = Object.assign(new Error('duplicate key value violates unique constraint'), {
      code: '23505',
    });
    const err = new DrizzleQueryError(
      'insert into "agents" ("token_hash", "secret_sealed") values ($1, $2)',
      [TOKEN_HASH, SEALED],
      cause,
    );
    logger.error({ err }, 'insert failed');
    const [line] = lines;
    expect(line).toBeDefined();
    expect(line).not.toContain(TOKEN_HASH);
    expect(line).not.toContain(SEALED);
    const parsed = JSON.parse(line ?? '') as {
      err: { message: string; query: string; cause: { code: string } };
    };
    expect(parsed.err.query).toContain('insert into "agents"');
    expect(parsed.err.message).toContain('params: [redacted]');
    expect(parsed.err.cause.code).toBe('23505');
  });

  it('redacts secret fields, their hashes and sealed forms in logged objects', () => {
    const { logger, lines } = capture();
    logger.warn(
      { tokenHash: TOKEN_HASH, row: { tokenHash: TOKEN_HASH, secretSealed: SEALED, name: 'web' } },
      'x',
    );
    const [line] = lines;
    expect(line).not.toContain(TOKEN_HASH);
    expect(line).not.toContain(SEALED);
    expect(line).toContain('"name":"web"');
  });

  it('caps a line: a 14 MB message becomes one short, valid line with its level', () => {
    const { logger, lines } = capture();
    logger.error({ detail: 'x'.repeat(14 * 1024 * 1024) }, 'huge');
    const [line] = lines;
    expect(line?.length).toBeLessThanOrEqual(MAX_LOG_LINE_CHARS + 200);
    expect(line?.endsWith('\n')).toBe(true);
    expect(JSON.parse(line ?? '')).toMatchObject({ level: 50, msg: 'log line truncated' });
  });

  it('caps the text fields of a logged error', () => {
    const { logger, lines } = capture();
    logger.error({ err: new Error(`bad ${'q'.repeat(100_000)}`) }, 'long');
    const [line] = lines;
    expect(line?.length).toBeLessThan(MAX_LOG_LINE_CHARS);
    expect(JSON.parse(line ?? '')).toMatchObject({ msg: 'long' });
  });
});
