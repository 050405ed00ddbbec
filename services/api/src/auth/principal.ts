/** Who a request acts for, from its API key. */
export type Principal =
  | { kind: 'admin'; keyId: string; keyUuid: string }
  | { kind: 'organization'; keyId: string; keyUuid: string; organizationId: string; organizationName: string };

export const AUTH_MESSAGES = {
  notProvided: 'Authentication credentials were not provided.',
  invalidHeader: 'Invalid token header. Use "Authorization: Bearer <key>".',
  invalidKey: 'Invalid token.',
  forbidden: 'You do not have permission to perform this action.',
} as const;
