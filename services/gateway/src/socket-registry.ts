// The gateway's sockets: slots (reserved at upgrade time, so concurrent upgrades cannot overshoot
// the limits) and the open sockets of each organization's topic, which the backpressure guard
// inspects and close() ends. Generic over the socket type so it is tested without uWS.

export type Refusal = 'gateway-full' | 'organization-full';

export interface SocketLimits {
  maxSockets: number;
  maxSocketsPerOrganization: number;
}

export class SocketRegistry<Socket> {
  private readonly slotsByOrganization = new Map<string, number>();
  private readonly openByTopic = new Map<string, Set<Socket>>();
  private slots = 0;
  private open = 0;

  constructor(private readonly limits: SocketLimits) {}

  /** Reserves a slot for a socket of the organization, or says which limit refuses it. */
  reserve(organization: string): Refusal | undefined {
    if (this.slots >= this.limits.maxSockets) return 'gateway-full';
    const taken = this.slotsByOrganization.get(organization) ?? 0;
    if (taken >= this.limits.maxSocketsPerOrganization) return 'organization-full';
    this.slotsByOrganization.set(organization, taken + 1);
    this.slots += 1;
    return undefined;
  }

  /** Gives back a slot whose upgrade did not happen, or whose socket closed. */
  unreserve(organization: string): void {
    const taken = this.slotsByOrganization.get(organization) ?? 0;
    if (taken <= 1) this.slotsByOrganization.delete(organization);
    else this.slotsByOrganization.set(organization, taken - 1);
    this.slots -= 1;
  }

  /** Records an opened socket; its slot was reserved before the upgrade. */
  add(topic: string, socket: Socket): void {
    let sockets = this.openByTopic.get(topic);
    if (!sockets) this.openByTopic.set(topic, (sockets = new Set()));
    sockets.add(socket);
    this.open += 1;
  }

  /** Forgets a closed socket and gives its slot back. */
  remove(organization: string, topic: string, socket: Socket): void {
    const sockets = this.openByTopic.get(topic);
    if (!sockets?.delete(socket)) return;
    if (sockets.size === 0) this.openByTopic.delete(topic);
    this.open -= 1;
    this.unreserve(organization);
  }

  /** The open sockets of a topic (live view: safe to close them while iterating). */
  socketsIn(topic: string): ReadonlySet<Socket> | undefined {
    return this.openByTopic.get(topic);
  }

  /** A snapshot of every open socket. */
  allSockets(): Socket[] {
    const all: Socket[] = [];
    for (const sockets of this.openByTopic.values()) all.push(...sockets);
    return all;
  }

  counts(): { open: number; slots: number; organizations: number } {
    return { open: this.open, slots: this.slots, organizations: this.slotsByOrganization.size };
  }
}
