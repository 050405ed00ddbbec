/**
 * The rows of a long list of equal-height rows worth rendering: those in view plus `overscan`
 * either side. Everything else is empty space of the right height, so 5,000 help desks cost the
 * browser a few dozen elements.
 */
export interface RowWindow {
  /** The first row rendered (0-based). */
  start: number;
  /** One past the last row rendered. */
  end: number;
}

export interface RowWindowInput {
  scrollTop: number;
  viewportHeight: number;
  rowHeight: number;
  rowCount: number;
  overscan: number;
}

export function rowWindow({ scrollTop, viewportHeight, rowHeight, rowCount, overscan }: RowWindowInput): RowWindow {
  if (rowCount <= 0 || rowHeight <= 0) return { start: 0, end: 0 };
  const top = Math.max(0, scrollTop);
  const firstInView = Math.min(rowCount - 1, Math.floor(top / rowHeight));
  const lastInView = Math.ceil((top + Math.max(0, viewportHeight)) / rowHeight);
  return {
    start: Math.max(0, firstInView - overscan),
    end: Math.min(rowCount, Math.max(firstInView + 1, lastInView) + overscan),
  };
}

/** Whether the rendered rows come within `ahead` rows of the end of what is loaded. */
export function nearEnd(window: RowWindow, rowCount: number, ahead: number): boolean {
  return window.end >= rowCount - ahead;
}
