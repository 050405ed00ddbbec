import { describe, expect, it } from 'vitest';
import { Notifier, titleFor } from './notifications';
import { memoryStorage } from './storage';

function notifier(storage = memoryStorage()) {
  let hidden = false;
  let beeps = 0;
  const made = new Notifier(
    storage,
    () => hidden,
    () => beeps++,
  );
  return { notifier: made, hide: (value: boolean) => (hidden = value), beeps: () => beeps };
}

describe('notifications', () => {
  it('beep for a client’s message only while the tab is hidden', () => {
    const { notifier: sound, hide, beeps } = notifier();
    sound.received();
    expect(beeps()).toBe(0);
    hide(true);
    sound.received();
    expect(beeps()).toBe(1);
  });

  it('stay quiet once the agent turns the sound off, also after a reload', () => {
    const storage = memoryStorage();
    const first = notifier(storage);
    first.hide(true);
    first.notifier.setSound(false);
    first.notifier.received();
    expect(first.beeps()).toBe(0);

    const reloaded = notifier(storage);
    reloaded.hide(true);
    expect(reloaded.notifier.soundOn.value).toBe(false);
    reloaded.notifier.received();
    expect(reloaded.beeps()).toBe(0);
    reloaded.notifier.setSound(true);
    reloaded.notifier.received();
    expect(reloaded.beeps()).toBe(1);
  });

  it('put the number of help desks with something unread in the title', () => {
    expect(titleFor(0)).toBe('helpdesk-chat');
    expect(titleFor(3)).toBe('(3) helpdesk-chat');
  });
});
