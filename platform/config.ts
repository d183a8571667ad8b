import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { ADMISSION_REVIEWS_PER_CLUSTER_PER_SECOND } from '../domain/signature/rules.js';

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const port = z.coerce.number().int().min(1).max(65535);
const optionalString = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();
const hostList = z
  .string()
  .transform((v) =>
    v
      .split(',')
      .map((h) => h.trim().toLowerCase())
      .filter((h) => h !== ''),
  )
  .pipe(z.array(z.string().regex(/^[a-z0-9.-]+(:\d+)?$/, 'host names, comma separated')));

/**
 * Every environment variable Vigil reads. `.env.example` lists the same names; a test keeps the two and the
 * compose file in step.
 */
export const ZConfigSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: port.default(3000),
  VIGIL_PUBLIC_URL: z.url().optional(),
  VIGIL_DATA_DIR: z.string().min(1).default('.data'),
  DATABASE_URL: optionalString.pipe(z.url({ protocol: /^postgres(ql)?$/ }).optional()),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(500).default(10),
  TEMPORAL_ADDRESS: optionalString,
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_CLI_PATH: optionalString,
  TEMPORAL_DEV_PORT: port.default(7233),
  TEMPORAL_UI_PORT: port.default(8233),
  TEMPORAL_UI_URL: z.url().optional(),
  VIGIL_TASK_QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, dot, dash or underscore')
    .default('vigil'),
  VIGIL_MASTER_KEY: optionalString.pipe(
    z
      .string()
      .regex(/^(?:[0-9a-fA-F]{64}|[A-Za-z0-9+/]{43}=)$/, '32 bytes as 64 hex digits or base64')
      .optional(),
  ),
  VIGIL_BOOTSTRAP_API_KEY: optionalString.pipe(
    z
      .string()
      .regex(/^vgl_[A-Za-z0-9]{8}_[A-Za-z0-9]{32,}$/, 'an API key of the form vgl_<8>_<32+>')
      .optional(),
  ),
  VIGIL_MAINTENANCE_INTERVAL_SECONDS: z.coerce.number().int().min(1).max(86_400).default(300),
  VIGIL_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(1200),
  VIGIL_ADMISSION_REVIEWS_PER_SECOND: z.coerce
    .number()
    .int()
    .min(1)
    .default(ADMISSION_REVIEWS_PER_CLUSTER_PER_SECOND),
  VIGIL_MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(16 * 1024 * 1024),
  VIGIL_WEBHOOK_ALLOWLIST: hostList.default(['oapi.dingtalk.com']),
  SMTP_URL: optionalString.pipe(z.url({ protocol: /^smtps?$/ }).optional()),
  SMTP_FROM: z.string().min(3).default('Vigil <vigil@localhost>'),
  /** AWS KMS for witness keys (provider awsKms): region, and an endpoint for a KMS-compatible service. */
  VIGIL_AWS_KMS_REGION: z.string().min(1).default('us-east-1'),
  VIGIL_AWS_KMS_ENDPOINT: optionalString.pipe(z.url().optional()),
});

export type Config = z.infer<typeof ZConfigSchema>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment; a missing or wrong value names the variable and what it expects. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const picked: Record<string, string | undefined> = {};
  for (const key of Object.keys(ZConfigSchema.shape)) picked[key] = env[key];
  const parsed = ZConfigSchema.safeParse(picked);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = String(issue.path[0] ?? '(environment)');
        const got = picked[name];
        return `${name}: ${issue.message}${got === undefined ? ' (not set)' : ` (got ${JSON.stringify(got)})`}`;
      }),
    );
  }
  return parsed.data;
}

export function dataDir(config: Config): string {
  return path.resolve(projectRoot, config.VIGIL_DATA_DIR);
}

export function publicUrl(config: Config): string {
  return (config.VIGIL_PUBLIC_URL ?? `http://${displayHost(config.HOST)}:${config.PORT}`).replace(/\/$/, '');
}

function displayHost(host: string): string {
  return host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
}

/** Runs `main` with a parsed config; a config error prints the problems and exits 2 without a stack trace. */
export function configOrExit(env: NodeJS.ProcessEnv = process.env): Config {
  try {
    return loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\nSee .env.example for every variable and its meaning.\n`);
      process.exit(2);
    }
    throw err;
  }
}
