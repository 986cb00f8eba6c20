// Reusable env-value parsers. Env values are strings, so every parser starts from one.
import { z } from 'zod';

const HOST = /^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)$/;

function isHostPort(value: string): boolean {
  const idx = value.lastIndexOf(':');
  if (idx <= 0) return false;
  const p = Number(value.slice(idx + 1));
  return (
    HOST.test(value.slice(0, idx)) && Number.isInteger(p) && p > 0 && p < 65536 && /^\d+$/.test(value.slice(idx + 1))
  );
}

/** `host:port`, e.g. `127.0.0.1:7233`. */
export const hostPort = () => z.string().trim().refine(isHostPort, { message: 'expected host:port' });

/** Comma-separated `host:port` list, e.g. `k1:9092,k2:9092`. */
export const hostPortList = () =>
  z
    .string()
    .trim()
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0),
    )
    .refine((list) => list.length > 0 && list.every(isHostPort), {
      message: 'expected a comma-separated list of host:port',
    });

/** TCP port; 0 means "pick a free one" where the caller allows it. */
export const port = () => z.coerce.number({ message: 'expected a port number' }).int().min(0).max(65535);

/** A Kafka topic name. */
export const kafkaTopicName = () =>
  z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9._-]{1,249}$/, 'expected a Kafka topic name');

export const positiveInt = () => z.coerce.number({ message: 'expected an integer' }).int().positive();

/** `z.coerce.boolean()` turns "false" into true; this accepts only explicit words. */
export const booleanFromString = () =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'], { message: 'expected true or false' })
    .transform((v) => v === 'true' || v === '1' || v === 'yes' || v === 'on');
