// The local stack's blob server (scripts/stack/blobs.sh), for tests and for services that tests
// start: spread stackBlobEnv into their env. The defaults are lib.sh's; a unit test keeps them in step.
export const STACK_BLOB_DEFAULTS = {
  BLOB_STORE: 's3',
  BLOB_S3_ENDPOINT: 'http://127.0.0.1:7070',
  BLOB_S3_BUCKET: 'kunlun-blobs',
  BLOB_S3_REGION: 'us-east-1',
  BLOB_S3_ACCESS_KEY_ID: 'kunlun-local',
  BLOB_S3_SECRET_ACCESS_KEY: 'kunlun-local-secret',
} as const;

/** The defaults, each overridable by the same env variable (a private server on another port). */
export const stackBlobEnv: Record<keyof typeof STACK_BLOB_DEFAULTS, string> = Object.fromEntries(
  Object.entries(STACK_BLOB_DEFAULTS).map(([k, v]) => [k, process.env[k] || v]),
) as Record<keyof typeof STACK_BLOB_DEFAULTS, string>;

/** ~1.1 MB of mixed scripts, symbols and astral characters: a long LLM output, and then some. */
export const LARGE_UNICODE_TEXT = Array.from(
  { length: 16_000 },
  (_, i) => `${i}: Kunlun 昆仑 — ünïcödé ∑ 🌊🏔️ Ἀρχή عربى\n`,
).join('');
