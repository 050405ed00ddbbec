import { describe, expect, it } from 'vitest';
import { nearEnd, rowWindow } from './row-window';

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
