/**
 * Playbook truth rule: a task whose workflow was terminated, timed out or reset away outside Vigil is found and ended
 * Failed with this reason, never left Progressing.
 */
export const ENDED_OUTSIDE_VIGIL = 'terminated in Temporal';

/** Who the audit log names for that change. */
export const RECONCILER_ACTOR = 'system:playbook-reconciler';

/** Active tasks checked against Temporal per query of the sweep. */
export const RECONCILE_BATCH = 200;
