// Test-only workflows: just enough to prove a round trip through a real server and worker.
import { condition, defineSignal, setHandler } from '@temporalio/workflow';

export function greet(name: string): Promise<string> {
  return Promise.resolve(`hello, ${name}`);
}

export const releaseSignal = defineSignal<[string]>('release');

/** Waits (durably) for a `release` signal and returns its payload. */
export async function waitForRelease(): Promise<string> {
  let payload: string | undefined;
  setHandler(releaseSignal, (value) => {
    payload = value;
  });
  await condition(() => payload !== undefined);
  return payload!;
}
