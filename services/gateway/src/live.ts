// One Redis subscriber connection for the whole gateway, fanned out to SSE clients per
// simulation (a subscription per connected simulation, not per client).
import { redisKeys, type LiveUpdate } from '@kunlun/contracts';
import type { Redis } from 'ioredis';

type Listener = (update: LiveUpdate) => void;

export class LiveHub {
  private readonly listeners = new Map<string, Set<Listener>>();

  constructor(private readonly subscriber: Redis) {
    subscriber.on('message', (channel: string, message: string) => {
      const set = this.listeners.get(channel);
      if (!set) return;
      let update: LiveUpdate;
      try {
        update = JSON.parse(message) as LiveUpdate;
      } catch {
        return;
      }
      for (const l of set) l(update);
    });
  }

  /** Subscribes; resolves once Redis confirmed, so nothing published afterwards is missed. */
  async subscribe(simulationId: string, listener: Listener): Promise<() => Promise<void>> {
    const channel = redisKeys.live(simulationId);
    let set = this.listeners.get(channel);
    if (!set) {
      set = new Set();
      this.listeners.set(channel, set);
      await this.subscriber.subscribe(channel);
    }
    set.add(listener);
    return async () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(channel) === set) {
        this.listeners.delete(channel);
        await this.subscriber.unsubscribe(channel);
      }
    };
  }
}
