import { NEXT_PAGE_REL } from '@helpdesk/shared';

/**
 * `Link: </api/…?…>; rel="next"` (RFC 8288). The URL is relative (a path and query): it stays
 * right behind any proxy and never repeats a Host header the request made up.
 */
export function nextPageLink(path: string, query: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined) params.set(name, String(value));
  return `<${path}?${params.toString()}>; rel="${NEXT_PAGE_REL}"`;
}
