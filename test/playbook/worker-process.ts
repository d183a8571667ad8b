// A Vigil worker in a process of its own, for the crash test: `tsx test/playbook/worker-process.ts` with the test's
// DATABASE_URL, TEMPORAL_ADDRESS, VIGIL_TASK_QUEUE_PREFIX and VIGIL_MASTER_KEY. Prints "worker ready" once it polls.
import { startVigil } from '../../platform/vigil.js';

await startVigil({ roles: ['worker'], worker: { shutdownGraceTime: '1s' } });
process.stdout.write('worker ready\n');
