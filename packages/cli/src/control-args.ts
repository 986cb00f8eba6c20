// Any control of the registry (CONTROLS in @kunlun/contracts) from the command line:
// `kunlun control ID NAME FIELD=VALUE ...`, each value read as its field's type in the control's
// request schema. A control added to the registry is listed by `kunlun help` and can be sent at once.
import { CONTROL_NAMES, CONTROLS, pathFields, type ControlName } from '@kunlun/contracts';
import { CliError, EXIT } from './api.js';

/** What the CLI reads of a JSON Schema (zod's toJSONSchema). */
interface JsonSchema {
  type?: string | string[];
  enum?: unknown[];
  properties?: Record<string, JsonSchema>;
  additionalProperties?: JsonSchema | boolean;
  items?: JsonSchema;
  required?: string[];
}

const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** The control a command line names, as the registry (`fastForward`) or in kebab-case (`fast-forward`). */
export function controlNamed(name: string): ControlName {
  const found = CONTROL_NAMES.find((n) => n === name || kebab(n) === name);
  if (!found)
    throw new CliError(
      `unknown control ${JSON.stringify(name)}; the controls: ${CONTROL_NAMES.map(kebab).join(', ')}`,
      EXIT.usage,
    );
  return found;
}

const requestSchema = (name: ControlName) =>
  CONTROLS[name].request.toJSONSchema({ io: 'input', unrepresentable: 'any' }) as JsonSchema;

/** The schema of the value at `path` (`params.temperature`, `branches.0.label`), if the schema says. */
function schemaAt(schema: JsonSchema | undefined, path: string[]): JsonSchema | undefined {
  let at = schema;
  for (const key of path) {
    if (!at) return undefined;
    if (at.items) at = at.items;
    else
      at = at.properties?.[key] ?? (typeof at.additionalProperties === 'object' ? at.additionalProperties : undefined);
  }
  return at;
}

/** Text as the schema's type: numbers, booleans, JSON for objects and arrays; text otherwise (the API validates). */
function coerce(text: string, schema: JsonSchema | undefined, what: string): unknown {
  const types = [schema?.type ?? []].flat();
  if ((types.includes('number') || types.includes('integer')) && text.trim() !== '' && !Number.isNaN(Number(text)))
    return Number(text);
  if (types.includes('boolean') && (text === 'true' || text === 'false')) return text === 'true';
  if (types.includes('object') || types.includes('array')) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new CliError(`${what}: expected JSON, got ${JSON.stringify(text)}`, EXIT.usage);
    }
  }
  return text;
}

/** Text given for the field at `path` (`params.temperature`) of a control's request, read as its type there. */
export function fieldValue(name: ControlName, path: string, text: string): unknown {
  return coerce(text, schemaAt(requestSchema(name), path.split('.')), path);
}

/** Sets `a.b.c` (`branches.0.label`: an array) in `target` to the text, read as its field's type. */
export function setField(name: ControlName, target: Record<string, unknown>, path: string, text: string): void {
  const keys = path.split('.');
  let at = target;
  keys.slice(0, -1).forEach((key, i) => {
    const next = at[key];
    at = (at[key] = next && typeof next === 'object' ? next : /^\d+$/.test(keys[i + 1]!) ? [] : {}) as Record<
      string,
      unknown
    >;
  });
  at[keys.at(-1)!] = fieldValue(name, path, text);
}

/** A whole number given on the command line (a round, an override id). */
export function intArg(v: string, name: string): number {
  if (!/^\d+$/.test(v)) throw new CliError(`${name} must be a whole number, got ${JSON.stringify(v)}`, EXIT.usage);
  return Number(v);
}

/** `FIELD=VALUE ...` (and a JSON body under them) as the control's request. */
export function requestFromArgs(name: ControlName, pairs: string[], json?: string): Record<string, unknown> {
  const request: Record<string, unknown> = {};
  if (json !== undefined) {
    const body = coerce(json, { type: 'object' }, '--body');
    if (!body || typeof body !== 'object' || Array.isArray(body))
      throw new CliError('--body: expected a JSON object', EXIT.usage);
    Object.assign(request, body);
  }
  for (const pair of pairs) {
    const cut = pair.indexOf('=');
    if (cut <= 0) throw new CliError(`expected FIELD=VALUE, got ${JSON.stringify(pair)}`, EXIT.usage);
    setField(name, request, pair.slice(0, cut), pair.slice(cut + 1));
  }
  return request;
}

/** `toRound=N`, `[reason=TEXT]`: how a field is written, optional ones in brackets. */
function fieldUsage(field: string, schema: JsonSchema, required: boolean): string {
  const types = [schema.type ?? []].flat();
  const value = schema.enum
    ? schema.enum.join('|')
    : types.includes('integer') || types.includes('number')
      ? 'N'
      : types.includes('object') || types.includes('array')
        ? 'JSON'
        : 'TEXT';
  return required ? `${field}=${value}` : `[${field}=${value}]`;
}

/** For `kunlun help`: every control of the registry, its fields and its summary. */
export function controlsHelp(): string {
  const lines = CONTROL_NAMES.map((name) => {
    const schema = requestSchema(name);
    const fields = Object.entries(schema.properties ?? {})
      .filter(([f]) => f !== 'by')
      .map(([f, s]) => fieldUsage(f, s, (schema.required ?? []).includes(f) || pathFields(name).includes(f)));
    return `  ${[kebab(name), ...fields].join(' ')}\n      ${CONTROLS[name].summary}`;
  });
  return [
    'controls (kunlun control ID NAME [FIELD=VALUE ...] [--body JSON]; a.b=VALUE sets a nested field):',
    ...lines,
  ].join('\n');
}
