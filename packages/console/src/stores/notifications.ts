import { signal } from '@preact/signals';
import type { KeyValueStorage } from './storage';

const SOUND_ITEM = 'helpdesk.console.sound';
export const BASE_TITLE = 'helpdesk-chat';

/** The tab's title: the number of help desks with something unread, first. */
export function titleFor(unreadHelpDesks: number): string {
  return unreadHelpDesks > 0 ? `(${unreadHelpDesks}) ${BASE_TITLE}` : BASE_TITLE;
}

/** A short sound when a client writes while the tab is hidden; the agent can turn it off. */
export class Notifier {
  readonly soundOn = signal(true);
  private audio: AudioContext | undefined;

  constructor(
    private readonly storage: KeyValueStorage,
    private readonly isHidden: () => boolean = () => document.hidden,
  ) {
    this.soundOn.value = storage.getItem(SOUND_ITEM) !== 'off';
  }

  setSound(on: boolean): void {
    this.soundOn.value = on;
    this.storage.setItem(SOUND_ITEM, on ? 'on' : 'off');
  }

  /** A received message arrived: beep if the agent is elsewhere and wants to hear it. */
  received(): void {
    if (!this.soundOn.value || !this.isHidden()) return;
    try {
      this.audio ??= new AudioContext();
      const oscillator = this.audio.createOscillator();
      const gain = this.audio.createGain();
      oscillator.frequency.value = 880;
      gain.gain.setValueAtTime(0.15, this.audio.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.001, this.audio.currentTime + 0.25);
      oscillator.connect(gain).connect(this.audio.destination);
      oscillator.start();
      oscillator.stop(this.audio.currentTime + 0.25);
    } catch {
      // No audio here (autoplay refused, no device): the title still shows the count.
    }
  }
}
