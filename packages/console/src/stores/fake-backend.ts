import type { HelpDeskJson, MessageJson } from '@helpdesk/shared';
import type { Backend, LiveEventMap, LiveSubscription, SendInput } from '../api/backend';

type Listener = (value: never) => unknown;
type HelpDeskPageRequest = Parameters<Backend['helpDeskPages']>[1];

/** A Backend for the stores' tests: pages and answers are set by the test, events emitted by it. */
export class FakeBackend implements Partial<Backend> {
  helpDeskPagesServed: HelpDeskJson[][] = [];
  /** Given, answers the help-desk pages of each request instead (a search's, say); every request is kept. */
  helpDeskPagesFor: ((options: HelpDeskPageRequest) => HelpDeskJson[][]) | undefined;
  helpDeskRequests: HelpDeskPageRequest[] = [];
  historyServed: MessageJson[][] = [];
  sends: SendInput[] = [];
  /** Resolves or rejects each send; the test settles it. */
  sendAnswers: Array<{ resolve: (message: MessageJson) => void; reject: (error: Error) => void }> = [];
  private listeners = new Map<string, Listener[]>();

  identify = () => Promise.resolve({ kind: 'organization' as const, organization: 'acme' });
  limits = () => Promise.resolve({ maxFileBytes: 1000, maxMessageChars: 100 });

  helpDeskPages = (_organization: string, options: HelpDeskPageRequest) => {
    this.helpDeskRequests.push(options);
    return pagesOf(this.helpDeskPagesFor?.(options) ?? this.helpDeskPagesServed);
  };
  historyPages = () => pagesOf(this.historyServed);

  sendMessage = (input: SendInput) => {
    this.sends.push(input);
    return new Promise<MessageJson>((resolve, reject) => this.sendAnswers.push({ resolve, reject }));
  };

  subscribe = (): LiveSubscription => ({
    on: (name, listener) => {
      this.listeners.set(name, [...(this.listeners.get(name) ?? []), listener]);
      return () => undefined;
    },
    close: () => undefined,
  });

  emit<K extends keyof LiveEventMap>(name: K, value: LiveEventMap[K]): void {
    for (const listener of this.listeners.get(name) ?? []) (listener as (value: LiveEventMap[K]) => unknown)(value);
  }

  asBackend(): Backend {
    return this as unknown as Backend;
  }
}

function pagesOf<T>(pages: T[][]): AsyncIterator<T[]> {
  const copy = [...pages];
  return {
    next: () => {
      const page = copy.shift();
      return Promise.resolve(page === undefined ? { done: true, value: undefined } : { done: false, value: page });
    },
  };
}

/** Lets pending promise callbacks run. */
export const settle = () => new Promise((resolve) => setTimeout(resolve, 0));
