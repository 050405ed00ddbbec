/**
 * A path the api names (from its root, like a `Link` target) or an absolute URL, as a URL under
 * `baseUrl`. Behind a proxy that mounts the api under a path (`https://host/helpdesk`), the
 * api's root is `baseUrl`, not the host's: `new URL('/api/…', baseUrl)` would drop the prefix.
 */
export function apiUrl(baseUrl: string, pathOrUrl: string): URL {
  return pathOrUrl.startsWith('/') ? new URL(`${baseUrl.replace(/\/+$/, '')}${pathOrUrl}`) : new URL(pathOrUrl);
}

/** The path of a URL the api built from its public origin, relative to the api's root (`baseUrl`). */
export function apiPath(baseUrl: string, url: string): string {
  const { pathname } = new URL(url, `${baseUrl}/`);
  const mount = new URL(baseUrl).pathname.replace(/\/+$/, '');
  return mount !== '' && pathname.startsWith(`${mount}/`) ? pathname.slice(mount.length) : pathname;
}
