import { useEffect, useState } from 'preact/hooks';
import type { ConnectionState } from '../api/backend';
import { clockTime } from '../format';

function describe(state: ConnectionState, since: number): { tone: string; text: string } {
  switch (state.type) {
    case 'connected':
      return { tone: 'live', text: 'Live' };
    case 'connecting':
      return { tone: 'waiting', text: state.attempt === 0 ? 'Connecting…' : 'Reconnecting…' };
    case 'disconnected':
      return state.retryInMs === undefined
        ? { tone: 'offline', text: 'Offline: waiting for the network' }
        : { tone: 'waiting', text: `Reconnecting, next try at ${clockTime(since + state.retryInMs)}` };
    case 'closed':
      return { tone: 'offline', text: 'Offline' };
  }
}

/** Always on screen: whether what is shown is live. */
export function ConnectionBanner({ state }: { state: ConnectionState }) {
  const [since, setSince] = useState(() => Date.now());
  useEffect(() => setSince(Date.now()), [state]);
  const { tone, text } = describe(state, since);
  return (
    <p class={`connection ${tone}`} role="status" aria-label="Connection">
      <span class="dot" aria-hidden="true" />
      {text}
    </p>
  );
}
