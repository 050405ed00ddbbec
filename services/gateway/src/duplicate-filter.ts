// Drops what the bus delivers twice (issue 4, item 2). The api's relay may publish an event again
// after a failure; ids of one organization only grow, so an id at or below the last one forwarded
// to the topic was forwarded already. Payloads without an id (older publishers) pass unchanged. A
// topic without open sockets keeps no id: its next socket must not lose an event to an id that an
// earlier one saw (ids may start over meanwhile, as after a Redis that restarted empty).

export class DuplicateFilter {
  private readonly lastIds = new Map<string, number>();

  /** `hosts`: whether the topic has open sockets. */
  constructor(private readonly hosts: (topic: string) => boolean) {}

  /** Whether a payload with this id goes on to the topic; remembers the id when it does. */
  admit(topic: string, id: number | undefined): boolean {
    if (id === undefined || !this.hosts(topic)) return true;
    const last = this.lastIds.get(topic);
    if (last !== undefined && id <= last) return false;
    this.lastIds.set(topic, id);
    return true;
  }

  /** The highest id forwarded to the topic while it had sockets. */
  lastId(topic: string): number | undefined {
    return this.lastIds.get(topic);
  }

  /** Each topic with a last id, and that id. */
  lastIdsByTopic(): ReadonlyMap<string, number> {
    return this.lastIds;
  }

  /** The topic's last socket left. */
  forget(topic: string): void {
    this.lastIds.delete(topic);
  }
}
