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

  constructor(
    private readonly storage: KeyValueStorage,
    private readonly isHidden: () => boolean = () => document.hidden,
    private readonly beep: () => void = webAudioBeep(),
  ) {
    this.soundOn.value = storage.getItem(SOUND_ITEM) !== 'off';
  }

  setSound(on: boolean): void {
    this.soundOn.value = on;
    this.storage.setItem(SOUND_ITEM, on ? 'on' : 'off');
  }

  /**
   * A client's message arrived (the workspace calls this for `received` messages only, never for
   * the agent's own sends): beep if the agent is elsewhere and wants to hear it.
   */
  received(): void {
    if (this.soundOn.value && this.isHidden()) this.beep();
  }
}

/** 880 Hz for a quarter of a second, made by Web Audio: no sound file to ship or fetch. */
function webAudioBeep(): () => void {
  let audio: AudioContext | undefined;
  return () => {
    try {
      audio ??= new AudioContext();
      // Made before the page had a user's gesture (a reload signs in by itself), the context
      // starts suspended; resuming works once the agent has clicked or typed anything.
      if (audio.state === 'suspended') void audio.resume().catch(() => undefined);
      const oscillator = audio.createOscillator();
      const gain = audio.createGain();
      oscillator.frequency.value = 880;
      gain.gain.setValueAtTime(0.15, audio.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.25);
      oscillator.connect(gain).connect(audio.destination);
      oscillator.start();
      oscillator.stop(audio.currentTime + 0.25);
    } catch {
      // No audio here (no device, refused): the title still shows the count.
    }
  };
}
