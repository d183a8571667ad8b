import { createHash, createPublicKey } from 'node:crypto';
import type * as KmsSdk from '@aws-sdk/client-kms';
import { errorMessage, unavailable as unavailableError, unprocessable } from '../../domain/errors.js';
import { KMS_RAW_MESSAGE_MAX_BYTES } from '../../domain/signature/witness-keys.js';

/** What Vigil asks of a cloud KMS: an RSA-2048 sign/verify key, its public half, and signatures. */
export interface KmsSigner {
  createKey(description: string): Promise<{ keyId: string; publicKeyPem: string }>;
  publicKey(keyId: string): Promise<{ keyId: string; publicKeyPem: string }>;
  /** RSASSA-PKCS1-v1_5 / SHA-256 over `message`; the private key stays in the KMS. */
  sign(keyId: string, message: Buffer): Promise<Buffer>;
}

/**
 * A KMS failure for the caller: `unavailable` (503) when the KMS could not be reached or failed on its side (retry
 * later), `unprocessable` (422) when it refused the request (wrong key, not configured).
 */
const kmsError = (message: string, unavailable = false) =>
  unavailable ? unavailableError(message) : unprocessable(message);

/** The SDK and one client of it, made on a KMS signer's first call. */
interface Kms {
  sdk: typeof KmsSdk;
  client: KmsSdk.KMSClient;
}

let sdkLoading: Promise<typeof KmsSdk> | undefined;
/**
 * `@aws-sdk/client-kms` is loaded on the first KMS call (~14 MB of RSS in a fresh process): most deployments sign
 * with built-in keys and never call a KMS, and every process of Vigil imports this module.
 */
const loadKmsSdk = () => (sdkLoading ??= import('@aws-sdk/client-kms'));

/** AWS KMS calls must not hold a signing request for long. */
const KMS_TIMEOUT_MS = 10_000;

/**
 * AWS KMS through `@aws-sdk/client-kms` (credentials from the SDK's default chain: environment, profile, role).
 * `endpoint` points the client at a KMS-compatible service (LocalStack, moto) instead of AWS.
 */
export function createAwsKms(opts: { region: string; endpoint?: string }): KmsSigner {
  let connecting: Promise<Kms> | undefined;
  const connect = () =>
    (connecting ??= loadKmsSdk().then((sdk) => ({
      sdk,
      client: new sdk.KMSClient({
        region: opts.region,
        ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
        maxAttempts: 2,
      }),
    })));
  const call = async <T>(what: string, work: (kms: Kms, signal: AbortSignal) => Promise<T>): Promise<T> => {
    const kms = await connect();
    try {
      return await work(kms, AbortSignal.timeout(KMS_TIMEOUT_MS));
    } catch (err) {
      if (err instanceof kms.sdk.KMSServiceException)
        throw kmsError(`AWS KMS ${what}: ${err.name}: ${err.message}`, err.$fault === 'server');
      // No credentials is how this deployment is set up, not an outage: retrying later changes nothing (422).
      if (err instanceof Error && err.name === 'CredentialsProviderError')
        throw kmsError(`AWS KMS is not configured for this deployment: ${err.message}`);
      throw kmsError(`AWS KMS ${what} failed: ${errorMessage(err)}`, true);
    }
  };
  const publicKey = async (keyId: string) => {
    const out = await call('GetPublicKey', ({ sdk, client }, abortSignal) =>
      client.send(new sdk.GetPublicKeyCommand({ KeyId: keyId }), { abortSignal }),
    );
    if (!out.PublicKey || !out.KeyId) throw kmsError(`AWS KMS sent no public key for ${keyId}`);
    if (out.KeyUsage && out.KeyUsage !== 'SIGN_VERIFY')
      throw kmsError(`KMS key ${keyId} is for ${out.KeyUsage}, not SIGN_VERIFY`);
    if (out.KeySpec && out.KeySpec !== 'RSA_2048')
      throw kmsError(`KMS key ${keyId} is ${out.KeySpec}; witnesses use RSA_2048`);
    const pem = createPublicKey({ key: Buffer.from(out.PublicKey), format: 'der', type: 'spki' })
      .export({ type: 'spki', format: 'pem' })
      .toString();
    return { keyId: out.KeyId, publicKeyPem: pem };
  };
  return {
    async createKey(description) {
      const out = await call('CreateKey', ({ sdk, client }, abortSignal) =>
        client.send(
          new sdk.CreateKeyCommand({
            KeySpec: 'RSA_2048',
            KeyUsage: 'SIGN_VERIFY',
            Description: description,
          }),
          { abortSignal },
        ),
      );
      const keyId = out.KeyMetadata?.Arn ?? out.KeyMetadata?.KeyId;
      if (!keyId) throw kmsError('AWS KMS created a key but sent no key id');
      return publicKey(keyId);
    },
    publicKey,
    async sign(keyId, message) {
      // RAW lets KMS hash (AWS and moto agree on it); DIGEST only for messages past RAW's limit.
      const raw = message.length <= KMS_RAW_MESSAGE_MAX_BYTES;
      const out = await call('Sign', ({ sdk, client }, abortSignal) =>
        client.send(
          new sdk.SignCommand({
            KeyId: keyId,
            Message: raw ? message : createHash('sha256').update(message).digest(),
            MessageType: raw ? 'RAW' : 'DIGEST',
            SigningAlgorithm: 'RSASSA_PKCS1_V1_5_SHA_256',
          }),
          { abortSignal },
        ),
      );
      if (!out.Signature) throw kmsError(`AWS KMS sent no signature for ${keyId}`);
      return Buffer.from(out.Signature);
    },
  };
}
