import { asc } from 'drizzle-orm';
import { createApiKey } from '../services/accounts/api-keys.js';
import { accounts } from '../db/schema/accounts.js';
import { createFleet } from './playbook-fleet.js';
import type { Services } from './services.js';

/** The demo fleet (Playbook issue: "about 50 assets and their vulnerabilities"). */
export const DEMO_ASSETS = 50;
export const DEMO_VULNERABILITIES_PER_ASSET = 3;

/**
 * `npm start -- --demo`: seeds the default account (the one whose key `npm start` shows) with 50 assets, their
 * fixable vulnerabilities, a policy cloned from the template and one simulated agent per asset running in this
 * process over the real HTTP protocol, and prints a curl command that creates a task. One key is printed, and it sees
 * the demo: the default account's key when this start created it, else a new admin key of that account (a key is
 * stored hashed and cannot be shown again). Restarting keeps earlier keys, policies and vulnerability ids, so a curl
 * printed before still works; the scan ingest re-opens the vulnerabilities.
 */
export async function startPlaybookDemo(
  services: Services,
  say: (line: string) => void,
  defaultAccount: { apiKey: string } | null,
): Promise<{ stop(): Promise<void> }> {
  const { db } = services;
  let apiKey = defaultAccount?.apiKey;
  if (!apiKey) {
    // The default account is the first one created (by the first start).
    const [first] = await db
      .select({ id: accounts.id })
      .from(accounts)
      .orderBy(asc(accounts.createdAt))
      .limit(1);
    if (!first) throw new Error('no account to seed the Playbook demo into');
    apiKey = (await createApiKey(db, { accountId: first.id, name: 'demo key', role: 'admin' })).key;
  }
  say('');
  say(
    `seeding the Playbook demo: ${DEMO_ASSETS} assets, ${DEMO_VULNERABILITIES_PER_ASSET} vulnerabilities each, simulated agents …`,
  );
  const fleet = await createFleet({
    baseUrl: services.publicUrl,
    apiKey,
    prefix: 'demo',
    assets: DEMO_ASSETS,
    vulnerabilitiesPerAsset: DEMO_VULNERABILITIES_PER_ASSET,
    policy: { maxConcurrency: 10, stages: [1, 5, '50%'], maxErrors: '10%', heartbeatTimeoutSeconds: 30 },
    agent: { latencyMs: 1500, failureRate: 0.05, seed: 7, heartbeatIntervalMs: 2000, pollWaitSeconds: 25 },
  });
  const body = JSON.stringify({
    name: 'Demo: fix the fleet',
    assets: { search: 'demo-' },
    vulnerabilityIds: fleet.vulnerabilityIds,
    execution: { mode: 'now' },
  });
  say(`Playbook demo ready: ${fleet.agents.size} simulated agents online. With the API key`);
  say(`  ${apiKey}`);
  say(
    defaultAccount
      ? '(the default account’s admin key, shown once) create a fix task:'
      : 'create a fix task:',
  );
  say('');
  say(
    `  curl -s -X POST ${services.publicUrl}/v1/playbook/policies/${fleet.policyId}/tasks ` +
      `-H "Authorization: Bearer ${apiKey}" -H "Content-Type: application/json" -d '${body}'`,
  );
  say('');
  say(`then follow it: curl -s -H "Authorization: Bearer ${apiKey}" ${services.publicUrl}/v1/playbook/tasks`);
  return { stop: () => fleet.stop() };
}
