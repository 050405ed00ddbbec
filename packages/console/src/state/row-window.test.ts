import { describe, expect, it } from 'vitest';
import { nearEnd, rowSegments, rowWindow, type RowSegment } from './row-window';

const base = { viewportHeight: 700, rowHeight: 70, rowCount: 5000, overscan: 5 };

describe('the rows of a long list worth rendering', () => {
  it('are those in view and `overscan` either side, whatever the length of the list', () => {
    expect(rowWindow({ ...base, scrollTop: 0 })).toEqual({ start: 0, end: 15 });
    // Scrolled to row 2,000 (half of row 2,000 above the top edge): rows 2,000–2,010 are in view.
    expect(rowWindow({ ...base, scrollTop: 2000 * 70 + 35 })).toEqual({ start: 1995, end: 2016 });
    expect(rowWindow({ ...base, scrollTop: 4995 * 70 })).toEqual({ start: 4990, end: 5000 });
  });

  it('stay within the list when it is short, empty, or shrank under the scroll position', () => {
    expect(rowWindow({ ...base, rowCount: 3, scrollTop: 0 })).toEqual({ start: 0, end: 3 });
    expect(rowWindow({ ...base, rowCount: 0, scrollTop: 0 })).toEqual({ start: 0, end: 0 });
    // A filter left 12 rows while the view was scrolled far down: the last ones show, never none.
    expect(rowWindow({ ...base, rowCount: 12, scrollTop: 90_000 })).toEqual({ start: 6, end: 12 });
    expect(rowWindow({ ...base, scrollTop: -40 })).toEqual({ start: 0, end: 15 });
    expect(rowWindow({ ...base, rowHeight: 0, scrollTop: 0 })).toEqual({ start: 0, end: 0 });
  });

  it('include the first rows before the view has been measured', () => {
    expect(rowWindow({ ...base, viewportHeight: 0, scrollTop: 0 })).toEqual({ start: 0, end: 6 });
  });

  it('ask for the next page when they come within `ahead` rows of the end of what is loaded', () => {
    expect(nearEnd({ start: 0, end: 15 }, 50, 30)).toBe(false);
    expect(nearEnd({ start: 5, end: 20 }, 50, 30)).toBe(true);
    expect(nearEnd({ start: 0, end: 0 }, 0, 30)).toBe(true);
  });
});

describe('what to render of a long list', () => {
  /** Segments as text: "3" for three rows of space, "[10-20)" for rows 10 to 19. */
  const shape = (segments: RowSegment[]) =>
    segments.map((s) => (s.kind === 'gap' ? String(s.rows) : `[${s.start}-${s.end})`)).join(' ');
  const window = { start: 100, end: 120 };

  it('is the window between the space of the rows above and below it', () => {
    expect(shape(rowSegments(window, undefined, 5000))).toBe('100 [100-120) 4880');
    expect(shape(rowSegments(window, 110, 5000))).toBe('100 [100-120) 4880');
  });

  it('keeps the focused row wherever it is, with the space either side of it; the total stays the list', () => {
    expect(shape(rowSegments(window, 4, 5000))).toBe('4 [4-5) 95 [100-120) 4880');
    expect(shape(rowSegments(window, 99, 5000))).toBe('99 [99-100) 0 [100-120) 4880');
    expect(shape(rowSegments(window, 4999, 5000))).toBe('100 [100-120) 4879 [4999-5000) 0');
    for (const pinned of [0, 4, 99, 120, 4999]) {
      const rows = rowSegments(window, pinned, 5000).reduce(
        (sum, s) => sum + (s.kind === 'gap' ? s.rows : s.end - s.start),
        0,
      );
      expect([pinned, rows]).toEqual([pinned, 5000]);
    }
  });
});
