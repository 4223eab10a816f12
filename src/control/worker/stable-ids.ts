// src/control/worker/stable-ids.ts — ids for services and backends that stay the same across
// reloads: the data plane binds connections to a backend id, and a server keeps its counter
// slot (native/control/server_slots.h) while its id stays. Owned by the control thread for the
// life of the process.

import { serverInServiceKey } from '../../config/keys.js';

export class StableIds {
  private readonly services = new Map<string, number>();
  private readonly backends = new Map<string, number>();
  private nextService = 1;
  private nextBackend = 1;

  service(serviceKey: string): number {
    let id = this.services.get(serviceKey);
    if (id === undefined) {
      id = this.nextService++;
      this.services.set(serviceKey, id);
    }
    return id;
  }

  backend(serviceKey: string, serverKey: string): number {
    const key = serverInServiceKey(serviceKey, serverKey);
    let id = this.backends.get(key);
    if (id === undefined) {
      id = this.nextBackend++;
      this.backends.set(key, id);
    }
    return id;
  }
}
