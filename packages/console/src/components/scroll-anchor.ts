/**
 * The message at the top of a scrolled list and where it was on screen, so the list can be put
 * back after rows are added or removed above it (an older page, a loading line): the agent keeps
 * reading the same message. Browsers' own scroll anchoring (CSS overflow-anchor) is off for the
 * list, so this is the one correction, the same in every browser.
 */
export interface ScrollAnchor {
  /** data-uuid of the first message whose bottom is below the list's top edge. */
  uuid: string;
  /** Its top, relative to the list's top edge (px, negative when partly scrolled past). */
  offset: number;
}

export function captureAnchor(list: HTMLElement): ScrollAnchor | undefined {
  const top = list.getBoundingClientRect().top;
  for (const row of list.querySelectorAll<HTMLElement>('[data-uuid]')) {
    const box = row.getBoundingClientRect();
    if (box.bottom > top) return { uuid: row.dataset.uuid ?? '', offset: box.top - top };
  }
  return undefined;
}

/** Scrolls the list so the anchored message is back where it was; nothing if it is gone. */
export function restoreAnchor(list: HTMLElement, anchor: ScrollAnchor): void {
  const row = list.querySelector<HTMLElement>(`[data-uuid="${CSS.escape(anchor.uuid)}"]`);
  if (!row) return;
  const shift = row.getBoundingClientRect().top - list.getBoundingClientRect().top - anchor.offset;
  if (shift !== 0) list.scrollTop += shift;
}
