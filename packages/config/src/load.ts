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
  const shown = source[variable] === undefined ? 'it is not set' : `got ${JSON.stringify(source[variable])}`;
  const reason = issue.message.includes('got ') ? issue.message : `${issue.message} (${shown})`;
  throw new ConfigError(variable, reason);
}

const SECRET = /PASSWORD|SECRET|TOKEN|API_KEY|PRIVATE|CREDENTIAL/i;

/** Copy safe to log: secret-looking values are masked, URL passwords removed. */
export function redactConfig(config: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    if (SECRET.test(key) && value !== undefined && value !== '') out[key] = '[redacted]';
    else if (typeof value === 'string' && /^[a-z]+:\/\/[^/]*:[^/]*@/i.test(value)) out[key] = value.replace(/:\/\/([^:/]*):[^@]*@/, '://$1:[redacted]@');
    else out[key] = value;
  }
  return out;
}
