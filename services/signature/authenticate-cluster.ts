import { VigilError } from '../../domain/errors.js';
import { admissionEngineFor, type AdmissionCluster } from './admission-engine.js';

export type AdmissionServices = Parameters<typeof admissionEngineFor>[0];

/** The cluster a token belongs to (cached per process while nothing changed); an unknown or replaced token is 401. */
export async function authenticateCluster(
  services: AdmissionServices,
  token: string,
): Promise<AdmissionCluster> {
  const cluster = await admissionEngineFor(services).authenticate(token);
  if (!cluster) throw new VigilError('unauthorized', 'the cluster token is unknown or was replaced');
  return cluster;
}
