import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { listHelpDesksPage } from '../src/db/help-desk.repository.js';
import { findHistoryPage } from '../src/db/message.repository.js';
import {
  createClient,
  createHelpDesk,
  createOrganization,
  createOrganizationWithKey,
} from '../../../test/organization.js';
import { asKey, useApi } from './api-harness.js';
import { useQueryRecorder } from './query-plans.js';

// Issue 11, section 1: cursor pagination of the help-desk list and of histories, on real Postgres.

const api = useApi();

interface Page<T> {
  items: T[];
  link: string | undefined;
}

async function getPage<T>(url: string, headers: Record<string, string | undefined> = {}): Promise<Page<T>> {
  const res = await api.app.inject({ method: 'GET', url, headers });
  expect(res.statusCode, res.body).toBe(200);
  const link = res.headers.link;
  return { items: res.json<T[]>(), link: typeof link === 'string' ? link : undefined };
}

/** The URL in `<url>; rel="next"`, checked to be exactly that shape. */
function nextUrl(link: string | undefined): string | undefined {
  if (link === undefined) return undefined;
  const match = /^<(\/api\/[^>]+)>; rel="next"$/.exec(link);
  expect(match, link).not.toBeNull();
  return match![1];
}

/** Rows straight into the tables: a thousand messages in one statement, with the api's own columns. */
async function insertMessages(organization: string, helpDesk: string, count: number): Promise<void> {
  await sql`
    insert into messages (uuid, organization_id, help_desk_id, message, type, status)
    select gen_random_uuid(), h.organization_id, h.id, 'message ' || n, 'received', 'sent'
    from help_desks h join organizations o on o.id = h.organization_id, generate_series(1, ${count}) n
    where h.uuid = ${helpDesk} and o.name = ${organization}
    order by n
  `.execute(api.app.db);
}

/**
 * `count` help desks with one client each, their activity spread over the past hour three by three
 * (so equal updated_at values are ordered by id), every fifth one closed.
 */
async function insertHelpDesks(organization: string, count: number): Promise<void> {
  await sql`
    with org as (select id from organizations where name = ${organization}),
    new_clients as (
      insert into clients (uuid, organization_id, name, phone)
      select gen_random_uuid(), org.id, 'client ' || n, '55' || n from org, generate_series(1, ${count}) n
      returning id, organization_id
    )
    insert into help_desks (uuid, organization_id, client_id, status, created_at, updated_at)
    select gen_random_uuid(), c.organization_id, c.id, case when c.id % 5 = 0 then 'closed' else 'open' end,
      now() - interval '2 hours', now() - interval '1 hour' + (c.id / 3) * interval '1 millisecond'
    from new_clients c
  `.execute(api.app.db);
}

async function send(helpDesk: string, message: string): Promise<void> {
  const res = await api.app.inject({
    method: 'POST',
    url: '/api/send-message/',
    payload: { help_desk: helpDesk, message },
  });
  expect(res.statusCode, res.body).toBe(201);
}

describe('GET /api/help-desks/<uuid>/history/?limit=&before=', () => {
  it('walks a 1,000-message history page by page, each message once, while new ones arrive', async () => {
    const { name: organization, helpDesk } = await createOrganization(api, 'history-walk');
    await insertMessages(organization, helpDesk.uuid, 1000);
    const everything = await getPage<{ uuid: string; message: string }>(`/api/help-desks/${helpDesk.uuid}/history/`);
    expect(everything.items).toHaveLength(1000);
    expect(everything.link).toBeUndefined();

    const pages: Array<Array<{ uuid: string; message: string }>> = [];
    let url: string | undefined = `/api/help-desks/${helpDesk.uuid}/history/?limit=64`;
    while (url !== undefined) {
      const page: Page<{ uuid: string; message: string }> = await getPage(url);
      pages.push(page.items);
      url = nextUrl(page.link);
      // Newer messages keep arriving: they are after the walk's first page, so never in it.
      await send(helpDesk.uuid, `during the walk ${pages.length}`);
    }

    // 15 full pages of 64 and the oldest 40; every page oldest first, the pages newest first.
    expect(pages.map((page) => page.length)).toEqual([...Array<number>(15).fill(64), 40]);
    const walked = pages.reverse().flat();
    expect(walked.map((m) => m.uuid)).toEqual(everything.items.map((m) => m.uuid));
    expect(walked.map((m) => m.message)).toEqual(Array.from({ length: 1000 }, (_, i) => `message ${i + 1}`));
    // And the history now also holds the 16 sent during the walk, after the thousand.
    const after = await getPage<{ uuid: string; message: string }>(
      `/api/help-desks/${helpDesk.uuid}/history/?limit=16`,
    );
    expect(after.items.map((m) => m.message)).toEqual(Array.from({ length: 16 }, (_, i) => `during the walk ${i + 1}`));
    expect(nextUrl(after.link)).toBe(
      `/api/help-desks/${helpDesk.uuid}/history/?limit=16&before=${after.items[0]!.uuid}`,
    );
  });

  it('answers the same bytes as before without limit, and pages that concatenate to them', async () => {
    const { name: organization, helpDesk } = await createOrganization(api, 'history-bytes');
    await insertMessages(organization, helpDesk.uuid, 25);
    const res = await api.app.inject({ method: 'GET', url: `/api/help-desks/${helpDesk.uuid}/history/` });
    expect(res.headers.link).toBeUndefined();

    const pages: string[][] = [];
    let url: string | undefined = `/api/help-desks/${helpDesk.uuid}/history/?limit=10`;
    while (url !== undefined) {
      const page = await api.app.inject({ method: 'GET', url });
      pages.unshift(page.json<unknown[]>().map((m) => JSON.stringify(m)));
      url = nextUrl(page.headers.link as string | undefined);
    }
    expect(pages.map((p) => p.length)).toEqual([5, 10, 10]);
    expect(`[${pages.flat().join(',')}]`).toBe(res.body);
  });

  it('has no Link on the only page, and answers an empty history as []', async () => {
    const { name: organization, helpDesk } = await createOrganization(api, 'history-short');
    const empty = await getPage(`/api/help-desks/${helpDesk.uuid}/history/?limit=5`);
    expect(empty).toEqual({ items: [], link: undefined });
    await insertMessages(organization, helpDesk.uuid, 5);
    const exact = await getPage(`/api/help-desks/${helpDesk.uuid}/history/?limit=5`);
    expect(exact.items).toHaveLength(5);
    expect(exact.link).toBeUndefined();
  });

  it('refuses bad limits and cursors with DRF field errors, and never leaks another organization', async () => {
    const { name: organization, helpDesk, client } = await createOrganization(api, 'history-errors');
    await insertMessages(organization, helpDesk.uuid, 3);
    const [own] = (await getPage<{ uuid: string }>(`/api/help-desks/${helpDesk.uuid}/history/`)).items;
    const sibling = await createHelpDesk(api, organization, client.uuid);
    await insertMessages(organization, sibling.uuid, 1);
    const [siblings] = (await getPage<{ uuid: string }>(`/api/help-desks/${sibling.uuid}/history/`)).items;
    const other = await createOrganization(api, 'history-other');
    await insertMessages(other.name, other.helpDesk.uuid, 1);
    const [others] = (await getPage<{ uuid: string }>(`/api/help-desks/${other.helpDesk.uuid}/history/`)).items;
    const unknown = '6f2c9a4e-0000-4000-8000-000000000000';
    const base = `/api/help-desks/${helpDesk.uuid}/history/`;

    const cases: Array<[string, unknown]> = [
      ['?limit=0', { limit: ['Ensure this value is greater than or equal to 1.'] }],
      ['?limit=201', { limit: ['Ensure this value is less than or equal to 200.'] }],
      ['?limit=abc', { limit: ['A valid integer is required.'] }],
      ['?limit=1.5', { limit: ['A valid integer is required.'] }],
      ['?limit=', { limit: ['A valid integer is required.'] }],
      [`?before=${own!.uuid}`, { limit: ['This field is required when "before" is given.'] }],
      ['?limit=5&before=nope', { before: ['Must be a valid UUID.'] }],
      [`?limit=5&before=${unknown}`, { before: [`Invalid pk "${unknown}" - object does not exist.`] }],
      [`?limit=5&before=${others!.uuid}`, { before: [`Invalid pk "${others!.uuid}" - object does not exist.`] }],
      [`?limit=5&before=${siblings!.uuid}`, { before: [`Invalid pk "${siblings!.uuid}" - object does not exist.`] }],
    ];
    for (const [query, body] of cases) {
      const res = await api.app.inject({ method: 'GET', url: `${base}${query}` });
      expect([query, res.statusCode, res.json()]).toEqual([query, 400, body]);
    }

    // Another organization's key sees that help desk as missing, paginated or not.
    const otherKey = other.key;
    for (const query of ['?limit=5', `?limit=5&before=${own!.uuid}`]) {
      const res = await api.app.inject({ method: 'GET', url: `${base}${query}`, headers: asKey(otherKey) });
      expect([res.statusCode, res.json()]).toEqual([404, { detail: 'Not found.' }]);
    }
    // A malformed help desk uuid stays a 404, whatever the query.
    const malformed = await api.app.inject({ method: 'GET', url: '/api/help-desks/nope/history/?limit=0' });
    expect(malformed.statusCode).toBe(404);
  });
});

describe('GET /api/help-desks/?organization=&limit=&before=&status=', () => {
  it('walks 500 help desks by recent activity, each once, while messages move them and new ones open', async () => {
    const { name: organization } = await createOrganizationWithKey(api, 'desks-walk');
    await insertHelpDesks(organization, 500);
    const list = `/api/help-desks/?organization=${organization}`;
    const before = (await getPage<{ uuid: string }>(list)).items.map((d) => d.uuid);
    expect(before).toHaveLength(500);

    const seen: string[] = [];
    const opened: string[] = [];
    let url: string | undefined = `${list}&limit=45`;
    let pages = 0;
    while (url !== undefined) {
      const page: Page<{ uuid: string; updated_at: string }> = await getPage(url);
      pages += 1;
      seen.push(...page.items.map((d) => d.uuid));
      url = nextUrl(page.link);
      // Activity during the walk: a help desk already walked gets a message (it moves to the top),
      // and a new help desk opens (at the top too). Neither comes again further down the list.
      await send(page.items[0]!.uuid, `moves page ${pages}'s first help desk`);
      const client = await createClient(api, organization, { name: `new ${pages}`, phone: `99${pages}` });
      opened.push((await createHelpDesk(api, organization, client.uuid)).uuid);
    }

    expect(pages).toBe(Math.ceil(500 / 45));
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(before);
    // The list now starts with what moved and what opened, most recent first.
    const now = (await getPage<{ uuid: string }>(`${list}&limit=${2 * pages}`)).items.map((d) => d.uuid);
    expect(new Set(now)).toEqual(new Set([...opened, ...seen.filter((_, i) => i % 45 === 0)]));
  });

  it('answers the same bytes as before without limit, and pages that concatenate to them', async () => {
    const { name: organization } = await createOrganizationWithKey(api, 'desks-bytes');
    await insertHelpDesks(organization, 23);
    const res = await api.app.inject({ method: 'GET', url: `/api/help-desks/?organization=${organization}` });
    expect(res.statusCode).toBe(200);
    expect(res.headers.link).toBeUndefined();

    const pages: string[] = [];
    let url: string | undefined = `/api/help-desks/?organization=${organization}&limit=10`;
    while (url !== undefined) {
      const page = await api.app.inject({ method: 'GET', url });
      pages.push(...page.json<unknown[]>().map((d) => JSON.stringify(d)));
      url = nextUrl(page.headers.link as string | undefined);
    }
    expect(`[${pages.join(',')}]`).toBe(res.body);
  });

  it('filters by status, in pages and without them; the Link keeps the filter', async () => {
    const { name: organization } = await createOrganizationWithKey(api, 'desks-status');
    await insertHelpDesks(organization, 60);
    const all = (await getPage<{ uuid: string; status: string }>(`/api/help-desks/?organization=${organization}`))
      .items;
    for (const status of ['open', 'closed']) {
      const expected = all.filter((d) => d.status === status).map((d) => d.uuid);
      expect(expected.length).toBeGreaterThan(5);
      const unpaged = await getPage<{ uuid: string }>(`/api/help-desks/?organization=${organization}&status=${status}`);
      expect(unpaged.items.map((d) => d.uuid)).toEqual(expected);

      const walked: string[] = [];
      let url: string | undefined = `/api/help-desks/?organization=${organization}&limit=5&status=${status}`;
      while (url !== undefined) {
        const page: Page<{ uuid: string }> = await getPage(url);
        walked.push(...page.items.map((d) => d.uuid));
        url = nextUrl(page.link);
        if (url !== undefined)
          expect(url).toMatch(
            new RegExp(
              `^/api/help-desks/\\?organization=${organization}&limit=5&status=${status}&before=[A-Za-z0-9_-]+$`,
            ),
          );
      }
      expect(walked).toEqual(expected);
    }
  });

  it('refuses bad limits, cursors and statuses with DRF field errors', async () => {
    const { name: organization } = await createOrganization(api, 'desks-errors');
    const first = await getPage<unknown>(`/api/help-desks/?organization=${organization}&limit=1`);
    expect(first.link).toBeUndefined();
    const b64 = (text: string) => Buffer.from(text).toString('base64url');
    const cases: Array<[string, unknown]> = [
      ['&limit=0', { limit: ['Ensure this value is greater than or equal to 1.'] }],
      ['&limit=1000', { limit: ['Ensure this value is less than or equal to 200.'] }],
      ['&limit=ten', { limit: ['A valid integer is required.'] }],
      ['&status=pending', { status: ['"pending" is not a valid choice.'] }],
      ['&before=abc', { limit: ['This field is required when "before" is given.'] }],
      ['&limit=5&before=not a cursor', { before: ['Invalid cursor.'] }],
      [`&limit=5&before=${b64('{"a":1}')}`, { before: ['Invalid cursor.'] }],
      [`&limit=5&before=${b64('["2026-13-01T00:00:00.000000+00:00","1"]')}`, { before: ['Invalid cursor.'] }],
      [`&limit=5&before=${b64('["2026-02-30T00:00:00.000000+00:00","1"]')}`, { before: ['Invalid cursor.'] }],
      [
        `&limit=5&before=${b64('["2026-01-01T00:00:00.000000+00:00","99999999999999999999"]')}`,
        { before: ['Invalid cursor.'] },
      ],
      [`&limit=5&before=${'A'.repeat(201)}`, { before: ['Ensure this field has no more than 200 characters.'] }],
    ];
    for (const [query, body] of cases) {
      const res = await api.app.inject({ method: 'GET', url: `/api/help-desks/?organization=${organization}${query}` });
      expect([query, res.statusCode, res.json()]).toEqual([query, 400, body]);
    }
    // The organization is checked before the cursor: an unknown one is a 404 as without pages.
    const res = await api.app.inject({
      method: 'GET',
      url: '/api/help-desks/?organization=nobody-here&limit=5&before=x',
    });
    expect([res.statusCode, res.json()]).toEqual([404, { detail: 'Not found.' }]);
  });

  it("never shows another organization's help desks, whatever cursor is given", async () => {
    const mine = await createOrganization(api, 'desks-mine');
    await insertHelpDesks(mine.name, 3);
    const theirs = await createOrganization(api, 'desks-theirs');
    await insertHelpDesks(theirs.name, 5);
    const key = mine.key;
    const mineAll = (await getPage<{ uuid: string }>(`/api/help-desks/?organization=${mine.name}`, asKey(key))).items;
    // Their cursor is only a position in the list order: mine older than it follow, theirs never.
    const theirPage = await getPage<unknown>(`/api/help-desks/?organization=${theirs.name}&limit=2`);
    const cursor = new URL(nextUrl(theirPage.link)!, 'http://x').searchParams.get('before');
    const mineWithTheirCursor = await getPage<{ uuid: string }>(
      `/api/help-desks/?organization=${mine.name}&limit=5&before=${cursor}`,
      asKey(key),
    );
    expect(mineWithTheirCursor.items.map((d) => d.uuid)).toEqual(mineAll.slice(1).map((d) => d.uuid));
    const res = await api.app.inject({
      method: 'GET',
      url: `/api/help-desks/?organization=${theirs.name}&limit=5&before=${cursor}`,
      headers: asKey(key),
    });
    expect([res.statusCode, res.json()]).toEqual([404, { detail: 'Not found.' }]);
  });
});

describe('each page is an index range scan (EXPLAIN on real Postgres)', () => {
  const recorder = useQueryRecorder(() => api.databaseUrl);
  /** The plan of the last query the repository ran, as Postgres would run it now. */
  const planOfLastQuery = async (): Promise<string> => JSON.stringify(await recorder.planOfLastQuery());

  it('serves pages of a big organization and history from their indexes, without a sort or a seq scan', async () => {
    const { db } = recorder;
    // Enough rows that a sequential scan would be the planner's choice were an index missing.
    const big = await createOrganization(api, 'explain');
    await insertHelpDesks(big.name, 10_000);
    const others: string[] = [];
    for (const n of [1, 2, 3]) {
      const other = await createOrganization(api, `explain-${n}`);
      await insertHelpDesks(other.name, 2_000);
      others.push(other.helpDesk.uuid);
    }
    // 1,000 messages of the history among 99,000 of other help desks, ids interleaved as in real
    // traffic: reading the primary key backwards instead would read a hundred rows per one kept.
    await sql`
      insert into messages (uuid, organization_id, help_desk_id, message, type, status)
      select gen_random_uuid(), h.organization_id, h.id, 'message ' || n, 'received', 'sent'
      from generate_series(1, 100000) n
      join help_desks h on h.uuid = case when n % 100 = 0 then ${big.helpDesk.uuid}::uuid
        else (${sql.val(others)}::uuid[])[1 + n % 3] end
      order by n
    `.execute(db);
    await sql`analyze`.execute(db);
    const org = await db
      .selectFrom('organizations')
      .select('id')
      .where('name', '=', big.name)
      .executeTakeFirstOrThrow();
    const desk = await db
      .selectFrom('help_desks')
      .select(['id', 'uuid'])
      .where('uuid', '=', big.helpDesk.uuid)
      .executeTakeFirstOrThrow();
    const middle = await db
      .selectFrom('help_desks')
      .select(['updated_at', 'id'])
      .where('organization_id', '=', org.id)
      .orderBy('updated_at', 'desc')
      .offset(5_000)
      .limit(1)
      .executeTakeFirstOrThrow();

    const pages: Array<[string, () => Promise<unknown>, string]> = [
      [
        'help desks, first page',
        () => listHelpDesksPage(db, org.id, { limit: 50 }),
        'help_desks_organization_activity_idx',
      ],
      [
        'help desks, a middle page',
        () => listHelpDesksPage(db, org.id, { limit: 50, after: { updatedAt: middle.updated_at, id: middle.id } }),
        'help_desks_organization_activity_idx',
      ],
      [
        'open help desks, a middle page',
        () =>
          listHelpDesksPage(db, org.id, {
            limit: 50,
            status: 'open',
            after: { updatedAt: middle.updated_at, id: middle.id },
          }),
        'help_desks_organization_status_activity_idx',
      ],
      ['history, newest page', () => findHistoryPage(db, desk.uuid, { limit: 50 }), 'messages_help_desk_idx'],
      [
        'history, a middle page',
        async () => {
          const middleMessage = await db
            .selectFrom('messages')
            .select('uuid')
            .where('help_desk_id', '=', desk.id)
            .orderBy('id')
            .offset(500)
            .limit(1)
            .executeTakeFirstOrThrow();
          return findHistoryPage(db, desk.uuid, { limit: 50, before: middleMessage.uuid });
        },
        'messages_help_desk_idx',
      ],
    ];
    for (const [name, run, index] of pages) {
      await run();
      const plan = await planOfLastQuery();
      expect([name, plan]).toEqual([name, expect.stringContaining(`"Index Name":"${index}"`)]);
      expect([name, plan]).not.toEqual([name, expect.stringMatching(/"Node Type":"(Seq Scan|Sort|Incremental Sort)"/)]);
      expect([name, plan]).toEqual([name, expect.stringMatching(/"Node Type":"Limit"/)]);
    }
  });
});
