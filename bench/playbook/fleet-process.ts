import { createFleet, type FleetOptions } from '../../platform/playbook-fleet.js';
import { errorMessage } from '../../domain/errors.js';

/**
 * The bench's simulated hosts in their own process (as real agents would be): seeds the fleet through the HTTP API,
 * runs one agent per asset, tells the parent over IPC when ready, and stops on `stop`.
 */
export interface FleetReady {
  type: 'ready';
  policyId: string;
  vulnerabilityIds: string[];
  assets: number;
}

const raw = process.env.VIGIL_BENCH_FLEET;
if (!raw || !process.send) throw new Error('run by bench/playbook.ts (VIGIL_BENCH_FLEET and an IPC channel)');
const fleet = await createFleet(JSON.parse(raw) as FleetOptions);
const ready: FleetReady = {
  type: 'ready',
  policyId: fleet.policyId,
  vulnerabilityIds: fleet.vulnerabilityIds,
  assets: fleet.assets.length,
};
process.send(ready);
process.on('message', (m: unknown) => {
  if (m !== 'stop') return;
  void fleet.stop().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`fleet stop failed: ${errorMessage(err)}\n`);
      process.exit(1);
    },
  );
});
