import { z } from 'zod';

/** A bad or missing env value. `variable` names it so operators can fix it at once. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    readonly reason: string,
  ) {
    super(`invalid configuration: ${variable}: ${reason}`);
    this.name = 'ConfigError';
  }
}

/**
 * Parses env once, at start-up, against the service's schema.
 * Throws a ConfigError naming the first bad variable; never returns a partial config.
 */
export function loadConfig<S extends z.ZodRawShape>(
  shape: S,
  env: Record<string, string | undefined> = process.env,
): z.infer<z.ZodObject<S>> {
  // Empty strings count as unset, so `FOO=` falls back to the default like a missing FOO.
  const source: Record<string, string> = {};
  for (const key of Object.keys(shape)) {
    const value = env[key];
    if (value !== undefined && value !== '') source[key] = value;
  }
  const result = z.object(shape).safeParse(source);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const variable = String(issue.path[0] ?? '(unknown)');
  const value = source[variable];
  // The value helps fix a typo, but a secret (or a URL that may carry a password) must never
  // reach a log through an error message: those say what is wrong, not what was given.
  const shown =
    value === undefined
      ? 'it is not set'
      : secretBearing(variable, value)
        ? 'the value is not shown: it may hold a secret'
        : `got ${JSON.stringify(value)}`;
  throw new ConfigError(variable, `${issue.message} (${shown})`);
}

const SECRET = /PASSWORD|SECRET|TOKEN|API_KEY|PRIVATE|CREDENTIAL/i;

/** Whether a variable's value must never be printed: its name says so, or it is (or looks like) a URL, which can carry credentials. */
function secretBearing(variable: string, value: string): boolean {
  return (
    SECRET.test(variable) ||
    /(_URL|_URI|_DSN)$/i.test(variable) ||
    /^[a-z][a-z0-9+.-]*:\/\//i.test(value.trim()) ||
    value.includes('@')
  );
}

/** Copy safe to log: secret-looking values are masked, URL passwords removed. */
export function redactConfig(config: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    if (SECRET.test(key) && value !== undefined && value !== '') out[key] = '[redacted]';
    else if (typeof value === 'string' && /^[a-z]+:\/\/[^/]*:[^/]*@/i.test(value))
      out[key] = value.replace(/:\/\/([^:/]*):[^@]*@/, '://$1:[redacted]@');
    else out[key] = value;
  }
  return out;
}
