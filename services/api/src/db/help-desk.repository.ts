import { sql, type Kysely, type Transaction } from 'kysely';
import {
  searchPhoneDigits,
  type HelpDeskRecord,
  type HelpDeskStatus,
  type MessageStatus,
  type MessageType,
} from '@helpdesk/shared';
import { JOINED_CLIENT_COLUMNS, joinedClient } from './client.repository.js';
import { compileOnce } from './compiled-query.js';
import { containsPattern } from './like-pattern.js';
import type { DB } from './tables.js';

type Executor = Kysely<DB> | Transaction<DB>;

export interface HelpDeskRef {
  id: string;
  uuid: string;
  organizationId: string;
  organizationName: string;
  status: HelpDeskStatus;
}

/** A help desk record's columns, from its help desk `h`, client `c` and last message `m`. */
export const HELP_DESK_RECORD_COLUMNS = [
  'h.uuid',
  'h.created_at',
  'h.updated_at',
  'h.status',
  ...JOINED_CLIENT_COLUMNS,
  'm.uuid as message_uuid',
  'm.created_at as message_created_at',
  'm.updated_at as message_updated_at',
  'm.message as message_message',
  'm.file_key as message_file_key',
  'm.file_name as message_file_name',
  'm.type as message_type',
  'm.status as message_status',
] as const;

function selectHelpDeskRecords(db: Executor) {
  return db
    .selectFrom('help_desks as h')
    .innerJoin('clients as c', 'c.id', 'h.client_id')
    .leftJoin('messages as m', 'm.id', 'h.last_message_id')
    .select(HELP_DESK_RECORD_COLUMNS);
}

/** A row of HELP_DESK_RECORD_COLUMNS (the message's columns are null without a last message). */
export type HelpDeskRow = Awaited<ReturnType<ReturnType<typeof selectHelpDeskRecords>['executeTakeFirstOrThrow']>>;

export function toRecord(row: HelpDeskRow): HelpDeskRecord {
  return {
    uuid: row.uuid,
    created_at: row.created_at,
    updated_at: row.updated_at,
    client: joinedClient(row),
    last_message:
      row.message_uuid === null
        ? null
        : {
            uuid: row.message_uuid,
            created_at: row.message_created_at as string,
            updated_at: row.message_updated_at as string,
            message: row.message_message as string,
            file_key: row.message_file_key,
            file_name: row.message_file_name,
            type: row.message_type as MessageType,
            status: row.message_status as MessageStatus,
            help_desk_uuid: row.uuid,
          },
    status: row.status,
  };
}

/** Which of an organization's help desks a list answers: all, or only those with a status, or a search. */
export interface HelpDeskFilter {
  status?: HelpDeskStatus | undefined;
  /** Text the client's name or phone contains, case-insensitive and literal (no wildcards); trimmed, not empty. */
  search?: string | undefined;
}

/** A filter as SQL values: `search` as ILIKE patterns (and the digits' LIKE pattern of a number). */
interface ListedFilter {
  status?: HelpDeskStatus | undefined;
  pattern?: string | undefined;
  digitsPattern?: string | undefined;
}

function listedFilter({ status, search }: HelpDeskFilter): ListedFilter {
  if (search === undefined) return { status };
  const digits = searchPhoneDigits(search);
  return {
    status,
    pattern: containsPattern(search),
    // A number typed with its formatting finds the phone stored with other (or none).
    digitsPattern: digits === undefined ? undefined : containsPattern(digits),
  };
}

/**
 * The organization's help desks that pass `filter`, in list order (most recent activity first).
 * The values may be a compiled statement's parameters: only which are given shapes the SQL.
 */
function selectListed(db: Executor, organizationId: string, { status, pattern, digitsPattern }: ListedFilter) {
  let query = selectHelpDeskRecords(db).where('h.organization_id', '=', organizationId);
  if (status !== undefined) query = query.where('h.status', '=', status);
  if (pattern !== undefined) {
    // A help desk's client is always of its organization; said here too so that, for a search
    // few clients match, Postgres reads the organization's clients (clients_organization_idx),
    // not every organization's (a sequential scan: no index serves a substring match).
    query = query.where('c.organization_id', '=', organizationId).where((eb) => {
      const matches = [eb('c.name', 'ilike', pattern), eb('c.phone', 'ilike', pattern)];
      if (digitsPattern !== undefined) {
        matches.push(eb(sql<string>`regexp_replace(c.phone, '[^0-9]', '', 'g')`, 'like', digitsPattern));
      }
      return eb.or(matches);
    });
  }
  return query;
}

/** The organization's help desks that pass `filter`, most recent activity first. */
export async function listHelpDesks(
  db: Executor,
  organizationId: string,
  filter: HelpDeskFilter = {},
): Promise<HelpDeskRecord[]> {
  const rows = await selectListed(db, organizationId, listedFilter(filter))
    .orderBy('h.updated_at', 'desc')
    .orderBy('h.id', 'desc')
    .execute();
  return rows.map(toRecord);
}

export interface HelpDeskPage {
  records: HelpDeskRecord[];
  /** Where the page ended (its last help desk's updated_at, as Postgres text, and id), when more follow. */
  next: { updated_at: string; id: string } | undefined;
}

/** A page's values; those its statement's shape leaves out are not sent. */
interface ListPageParams extends ListedFilter {
  organizationId: string;
  afterUpdatedAt: string | undefined;
  afterId: string | undefined;
  /** One more than the page's size: whether a next page exists, without an empty last page. */
  limit: number;
}

/** A page statement per combination of the filter's parts in use (at most 16), each compiled once (issue 12). */
const pageStatements = new Map<string, ReturnType<typeof listPageStatement>>();

function listPageStatement(shape: { status: boolean; pattern: boolean; digits: boolean; after: boolean }) {
  return compileOnce<ListPageParams, HelpDeskRow & { id: string }>((db, param) => {
    let query = selectListed(db, param('organizationId'), {
      status: shape.status ? param('status') : undefined,
      pattern: shape.pattern ? param('pattern') : undefined,
      digitsPattern: shape.digits ? param('digitsPattern') : undefined,
    }).select('h.id');
    if (shape.after) {
      query = query.where(
        sql<boolean>`(h.updated_at, h.id) < (${param('afterUpdatedAt')}::timestamptz, ${param('afterId')}::bigint)`,
      );
    }
    return query.orderBy('h.updated_at', 'desc').orderBy('h.id', 'desc').limit(param('limit'));
  });
}

/**
 * One page of the organization's help desks that pass `filter`, most recent activity first: the
 * `limit` that come after `after` (updated_at, id) in that order. An index range scan of
 * help_desks_organization_activity_idx (or, with `status`, help_desks_organization_status_activity_idx).
 * With a search that many match, the same walk with a filter, stopping at the `limit + 1`th match;
 * with one few match, the organization's matching clients joined to its help desks and only those
 * sorted. Either way only the organization's rows are read (services/api/test/help-desk-search.test.ts).
 */
export async function listHelpDesksPage(
  db: Executor,
  organizationId: string,
  page: HelpDeskFilter & { limit: number; after?: { updatedAt: string; id: string } | undefined },
): Promise<HelpDeskPage> {
  const filter = listedFilter(page);
  const shape = {
    status: filter.status !== undefined,
    pattern: filter.pattern !== undefined,
    digits: filter.digitsPattern !== undefined,
    after: page.after !== undefined,
  };
  const key = `${+shape.status}${+shape.pattern}${+shape.digits}${+shape.after}`;
  let statement = pageStatements.get(key);
  if (statement === undefined) pageStatements.set(key, (statement = listPageStatement(shape)));
  const rows = await statement.execute(db, {
    ...filter,
    organizationId,
    afterUpdatedAt: page.after?.updatedAt,
    afterId: page.after?.id,
    limit: page.limit + 1,
  });
  const more = rows.length > page.limit;
  const kept = more ? rows.slice(0, page.limit) : rows;
  const last = kept.at(-1);
  return {
    records: kept.map(toRecord),
    next: more && last ? { updated_at: last.updated_at, id: last.id } : undefined,
  };
}

export async function getHelpDeskRecord(db: Executor, helpDeskId: string): Promise<HelpDeskRecord> {
  return toRecord(await selectHelpDeskRecords(db).where('h.id', '=', helpDeskId).executeTakeFirstOrThrow());
}

export async function createHelpDesk(
  db: Executor,
  helpDesk: { uuid: string; organizationId: string; clientId: string },
): Promise<string> {
  const row = await db
    .insertInto('help_desks')
    .values({ uuid: helpDesk.uuid, organization_id: helpDesk.organizationId, client_id: helpDesk.clientId })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** The help desk and its organization; with `lock`, its row stays locked until the transaction ends. */
export async function findHelpDesk(db: Executor, uuid: string, lock = false): Promise<HelpDeskRef | undefined> {
  let query = db
    .selectFrom('help_desks as h')
    .innerJoin('organizations as o', 'o.id', 'h.organization_id')
    .select(['h.id', 'h.uuid', 'h.organization_id as organizationId', 'o.name as organizationName', 'h.status'])
    .where('h.uuid', '=', uuid);
  if (lock) query = query.forUpdate('h');
  return query.executeTakeFirst();
}

/**
 * The help desk a message is sent to, and whether its organization delivers through a webhook:
 * one round trip for what send-message needs before it writes.
 */
export async function findHelpDeskToSend(
  db: Executor,
  uuid: string,
): Promise<(HelpDeskRef & { hasWebhook: boolean }) | undefined> {
  return db
    .selectFrom('help_desks as h')
    .innerJoin('organizations as o', 'o.id', 'h.organization_id')
    .leftJoin('organization_webhooks as w', 'w.organization_id', 'h.organization_id')
    .select(['h.id', 'h.uuid', 'h.organization_id as organizationId', 'o.name as organizationName', 'h.status'])
    .select(sql<boolean>`w.organization_id is not null`.as('hasWebhook'))
    .where('h.uuid', '=', uuid)
    .executeTakeFirst();
}

export async function setHelpDeskStatus(db: Executor, helpDeskId: string, status: HelpDeskStatus): Promise<void> {
  await db
    .updateTable('help_desks')
    .set({ status, updated_at: sql<string>`now()` })
    .where('id', '=', helpDeskId)
    .execute();
}

/** The client's most recent open help desk, locked until the transaction ends. */
export async function findOpenHelpDesk(db: Executor, clientId: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('help_desks')
    .select('id')
    .where('client_id', '=', clientId)
    .where('status', '=', 'open')
    .orderBy('id', 'desc')
    .limit(1)
    .forUpdate()
    .executeTakeFirst();
  return row?.id;
}

/** A new message moves the help desk's last_message and updated_at. */
export async function setLastMessage(db: Executor, helpDeskId: string, messageId: string): Promise<void> {
  await db
    .updateTable('help_desks')
    .set({ last_message_id: messageId, updated_at: sql<string>`now()` })
    .where('id', '=', helpDeskId)
    .execute();
}
