/**
 * Where a witness's key comes from (manual: a witness is bound to a KMS key; "select a certificate" picks an
 * existing one). `generated`: made by the provider; `imported`: a private key brought in and sealed like generated
 * ones; `publicKey`: only the public half, so the witness verifies images signed elsewhere and signs nothing;
 * `kms`: a key that lives in a cloud KMS and never leaves it.
 */
export const WITNESS_KEY_ORIGINS = ['generated', 'imported', 'publicKey', 'kms'] as const;
export type TWitnessKeyOrigin = (typeof WITNESS_KEY_ORIGINS)[number];

/** Key providers: `builtin` keeps RSA keys sealed in Postgres, `awsKms` keeps them in AWS KMS. */
export const KEY_PROVIDERS = ['builtin', 'awsKms'] as const;
export type TKeyProviderName = (typeof KEY_PROVIDERS)[number];

/** The manual's witnesses are RSA_2048: imported and KMS keys must be 2048-bit RSA too. */
export const WITNESS_RSA_BITS = 2048;

/**
 * AWS KMS `Sign` takes at most 4096 bytes as a RAW message; cosign payloads are ~250 bytes. RAW is used up to this
 * (KMS hashes with SHA-256 itself), DIGEST beyond it.
 */
export const KMS_RAW_MESSAGE_MAX_BYTES = 4096;
