/**
 * The target of `rel="next"` in an HTTP `Link` header (RFC 8288), as the api pages its lists:
 * `<https://host/api/help-desks/?organization=acme&limit=50&before=…>; rel="next"`.
 */
export function nextLink(header: string | null): string | undefined {
  if (header === null) return undefined;
  for (const match of header.matchAll(/<([^>]*)>((?:\s*;\s*[^;,]+)*)/g)) {
    const [, target, params = ''] = match;
    const rel = /;\s*rel\s*=\s*(?:"([^"]*)"|([^\s;,]+))/i.exec(params);
    const relations = (rel?.[1] ?? rel?.[2] ?? '').toLowerCase().split(/\s+/);
    if (target !== undefined && relations.includes('next')) return target;
  }
  return undefined;
}
