import { Type, type Static } from '@sinclair/typebox';
import { HELP_DESK_SEARCH_MAX_LENGTH } from './help-desk-search.js';
import { HELP_DESK_STATUSES } from './objects.js';
import { OrganizationName } from './schemas.js';

// Cursor pagination of the two contract lists (issue 11, section 1). Opt-in: without `limit` both
// answer exactly what the contract answers (every item, one array). With it, the body is still an
// array and the next page's URL comes in a `Link: <…>; rel="next"` header, as GitHub does.

/** The largest `limit` the api accepts unless configured otherwise (PAGINATION_MAX_LIMIT). */
export const DEFAULT_PAGINATION_MAX_LIMIT = 200;

/** The `rel` of the Link header that points to the next page. */
export const NEXT_PAGE_REL = 'next';

function limitSchema(maxLimit: number) {
  return Type.Integer({
    minimum: 1,
    maximum: maxLimit,
    description: `Turns pagination on: at most this many items (1 to ${maxLimit}); the next page's URL is in the Link header`,
  });
}

/** GET /api/help-desks/ — the organization's help desks, most recent activity first. */
export function helpDeskListQuery(maxLimit: number = DEFAULT_PAGINATION_MAX_LIMIT) {
  return Type.Object({
    organization: OrganizationName,
    limit: Type.Optional(limitSchema(maxLimit)),
    before: Type.Optional(
      Type.String({
        maxLength: 200,
        description:
          'Opaque cursor from the previous page\'s Link header (rel="next"): the help desks after it in the list. Needs `limit`.',
      }),
    ),
    status: Type.Optional(
      Type.Union(
        HELP_DESK_STATUSES.map((s) => Type.Literal(s)),
        { description: 'Only the help desks with this status' },
      ),
    ),
    search: Type.Optional(
      Type.String({
        maxLength: HELP_DESK_SEARCH_MAX_LENGTH,
        description:
          "Only the help desks whose client's name or phone contains this text (case-insensitive; % _ and \\ " +
          'match themselves; surrounding spaces ignored; empty: no filter). A number compares digits only, so ' +
          '"+55 (11) 99999" finds 5511999990000 and the reverse. Works with `limit`, `before` and `status`.',
      }),
    ),
  });
}
export type HelpDeskListQuery = Static<ReturnType<typeof helpDeskListQuery>>;

/** GET /api/help-desks/<uuid>/history/ — a help desk's messages, oldest first. */
export function historyQuery(maxLimit: number = DEFAULT_PAGINATION_MAX_LIMIT) {
  return Type.Object({
    limit: Type.Optional(limitSchema(maxLimit)),
    before: Type.Optional(
      Type.String({
        format: 'uuid',
        description:
          'A message of this help desk: the `limit` messages written before it (without it: the newest). Needs `limit`.',
      }),
    ),
  });
}
export type HistoryQuery = Static<ReturnType<typeof historyQuery>>;

/** The response header a paginated answer carries when there is a next page. */
export const PaginationHeaders = {
  link: Type.String({
    description:
      'Only with `limit`, and only when there is a next page: `<URL of the next page>; rel="next"`. The URL is relative to the api\'s origin (it starts with /api/).',
  }),
};
