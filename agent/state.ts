import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';

/** What an agent keeps between restarts so that it does not enroll again. */
export const ZAgentStateSchema = z.object({
  server: z.string(),
  agentId: z.string(),
  assetId: z.string(),
  agentToken: z.string(),
});
export type TAgentState = z.infer<typeof ZAgentStateSchema>;

const FILE = 'agent.json';

/** A state-folder file's text, or null when it does not exist (yet). */
export async function readIfExists(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

export async function loadState(dir: string | null): Promise<TAgentState | null> {
  if (!dir) return null;
  const text = await readIfExists(path.join(dir, FILE));
  if (text === null) return null;
  const parsed = ZAgentStateSchema.safeParse(JSON.parse(text));
  if (!parsed.success)
    throw new Error(`${path.join(dir, FILE)} is not a valid agent state file; delete it to enroll again`);
  return parsed.data;
}

/**
 * Writes a state-folder file atomically (a reader sees the old text or the new, never half), readable only by the
 * agent's user.
 */
export async function writeStateFile(dir: string, name: string, text: string): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, name);
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, text, { mode: 0o600 });
  await rename(tmp, file);
  return file;
}

/** Written atomically and readable only by the agent's user: it holds the agent token. */
export async function saveState(dir: string | null, state: TAgentState): Promise<void> {
  if (!dir) return;
  await writeStateFile(dir, FILE, JSON.stringify(state, null, 2));
}
