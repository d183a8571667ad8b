import type { TAdmissionRequest } from '../../domain/signature/admission-review.js';
import { admissionEngineFor, type AdmissionCluster, type AdmissionOutcome } from './admission-engine.js';
import type { AdmissionServices } from './authenticate-cluster.js';

/**
 * Decides one AdmissionReview for a cluster: the policies covering its namespace, each image's signatures (Vigil's
 * and the registry's), the failure mode, break-glass. The decision is recorded (unless a dry run); a malformed
 * review is a 400.
 */
export async function reviewAdmission(
  services: AdmissionServices,
  cluster: AdmissionCluster,
  request: TAdmissionRequest,
): Promise<AdmissionOutcome> {
  return admissionEngineFor(services).review(cluster, request);
}
