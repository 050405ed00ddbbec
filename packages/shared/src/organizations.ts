/**
 * Organization names appear in URLs (`/ws/chat/<name>/`), query strings and Redis channel names,
 * so they are restricted to characters that need no escaping anywhere.
 */
export const ORGANIZATION_NAME_PATTERN = '^[A-Za-z0-9_-]{1,64}$';
const ORGANIZATION_NAME = new RegExp(ORGANIZATION_NAME_PATTERN);

export function isValidOrganizationName(name: string): boolean {
  return ORGANIZATION_NAME.test(name);
}

/** The Redis pub/sub channel (and uWS topic) that carries one organization's events. */
export function organizationChannel(prefix: string, organizationName: string): string {
  return `${prefix}org:${organizationName}`;
}
