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

/** A run of rows to render, or the empty space of `rows` rows (keyed, so it stays the same element). */
export type RowSegment = { kind: 'rows'; start: number; end: number } | { kind: 'gap'; key: string; rows: number };

/**
 * What to render of the list, top to bottom: the window's rows and, wherever it is, the `pinned`
 * row (the one with the keyboard's focus: taken out of the page, the focus would drop to the
 * page's body), with gaps of empty space for the rest.
 */
export function rowSegments(window: RowWindow, pinned: number | undefined, rowCount: number): RowSegment[] {
  const rows: RowSegment = { kind: 'rows', start: window.start, end: window.end };
  if (pinned === undefined || (pinned >= window.start && pinned < window.end)) {
    return [
      { kind: 'gap', key: 'above', rows: window.start },
      rows,
      { kind: 'gap', key: 'below', rows: rowCount - window.end },
    ];
  }
  const alone: RowSegment = { kind: 'rows', start: pinned, end: pinned + 1 };
  return pinned < window.start
    ? [
        { kind: 'gap', key: 'above', rows: pinned },
        alone,
        { kind: 'gap', key: 'between', rows: window.start - pinned - 1 },
        rows,
        { kind: 'gap', key: 'below', rows: rowCount - window.end },
      ]
    : [
        { kind: 'gap', key: 'above', rows: window.start },
        rows,
        { kind: 'gap', key: 'between', rows: pinned - window.end },
        alone,
        { kind: 'gap', key: 'below', rows: rowCount - pinned - 1 },
      ];
}
