import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { listHelpDesks, listHelpDesksPage } from '../src/db/help-desk.repository.js';
import { createClient, createHelpDesk, createOrganizationWithKey, uniqueName } from '../../../test/organization.js';
import { useApi } from './api-harness.js';
import { useQueryRecorder } from './query-plans.js';

// GET /api/help-desks/?search=: the organization's help desks whose client's name or phone
// contains the text, over real HTTP (the query string as a browser sends it) on Postgres.

const api = useApi();
let origin: string;

beforeAll(async () => {
  await api.app.listen({ host: '127.0.0.1', port: 0 });
  origin = `http://127.0.0.1:${(api.app.server.address() as AddressInfo).port}`;
});

interface Answer {
  status: number;
  body: string;
  link: string | null;
}

/** GET over HTTP, as the administrator unless a key is given. */
async function get(path: string, key = api.adminToken): Promise<Answer> {
  const res = await fetch(`${origin}${path}`, { headers: { authorization: `Bearer ${key}` } });
  return { status: res.status, body: await res.text(), link: res.headers.get('link') };
}

interface Desk {
  uuid: string;
  client: { name: string; phone: string };
}

/** The clients' names of a 200 answer, in its order. */
async function names(path: string, key?: string): Promise<string[]> {
  const res = await get(path, key);
  expect(res.status, res.body).toBe(200);
  return (JSON.parse(res.body) as Desk[]).map((desk) => desk.client.name);
}

/** An organization with a help desk per client, made through the api: the last made is the most recent. */
async function organizationWith(stem: string, clients: Array<[name: string, phone: string]>) {
  const { name: organization, key } = await createOrganizationWithKey(api, stem);
  const desks = new Map<string, string>();
  for (const [name, phone] of clients) {
    const client = await createClient(api, organization, { name, phone });
    desks.set(name, (await createHelpDesk(api, organization, client.uuid)).uuid);
  }
  return { organization, key, desks };
}

const list = (organization: string, query = '') => `/api/help-desks/?organization=${organization}${query}`;

/** The URL in `<url>; rel="next"`, checked to be exactly that shape. */
function nextUrl(link: string | null): string | undefined {
  if (link === null) return undefined;
  const match = /^<(\/api\/[^>]+)>; rel="next"$/.exec(link);
  expect(match, link).not.toBeNull();
  return match![1];
}

describe('GET /api/help-desks/?search=', () => {
  it("finds help desks by a part of the client's name or phone, any case, most recent activity first", async () => {
    const { organization, desks } = await organizationWith('search-match', [
      ['Ana Souza', '5511911110001'],
      ['Bruno Lima', '5521922220002'],
      ['MARIANA Costa', '5511933330003'],
      ['Carla Dias', '5531944440004'],
      ['Diego Anacleto', '5511955550005'],
    ]);
    expect(await names(list(organization, '&search=ana'))).toEqual(['Diego Anacleto', 'MARIANA Costa', 'Ana Souza']);
    expect(await names(list(organization, '&search=ANA%20S'))).toEqual(['Ana Souza']);
    // By phone: a part of the number.
    expect(await names(list(organization, '&search=2192222'))).toEqual(['Bruno Lima']);
    expect(await names(list(organization, '&search=5511'))).toEqual(['Diego Anacleto', 'MARIANA Costa', 'Ana Souza']);
    expect(await names(list(organization, '&search=nobody'))).toEqual([]);

    // Activity moves a help desk to the top of its search as it does in the list.
    const sent = await api.app.inject({
      method: 'POST',
      url: '/api/send-message/',
      payload: { help_desk: desks.get('Ana Souza'), message: 'hello' },
    });
    expect(sent.statusCode).toBe(201);
    expect(await names(list(organization, '&search=ana'))).toEqual(['Ana Souza', 'Diego Anacleto', 'MARIANA Costa']);

    // Each help desk exactly as the list answers it (the same bytes), with the status filter too.
    const all = await get(list(organization));
    const matching = (JSON.parse(all.body) as Desk[]).filter((desk) => /ana/i.test(desk.client.name));
    expect((await get(list(organization, '&search=ana'))).body).toBe(JSON.stringify(matching));
    expect(await names(list(organization, '&search=ana&status=open'))).toEqual([
      'Ana Souza',
      'Diego Anacleto',
      'MARIANA Costa',
    ]);
    expect(await names(list(organization, '&search=ana&status=closed'))).toEqual([]);
  });

  it('finds a phone number by its digits, however it or the phone was typed', async () => {
    const { organization } = await organizationWith('search-phone', [
      ['Plain', '5511999990000'],
      ['Formatted', '+55 (21) 98888-7777'],
      ['Dotted', '31.3333.4444'],
      ['Room 12', 'none'],
    ]);
    // Formatting in the search is ignored against a phone stored as digits…
    expect(await names(list(organization, `&search=${encodeURIComponent('+55 (11) 99999-0000')}`))).toEqual(['Plain']);
    expect(await names(list(organization, `&search=${encodeURIComponent('11 99999')}`))).toEqual(['Plain']);
    // …and formatting in the stored phone, against digits or other formatting.
    expect(await names(list(organization, '&search=2198888'))).toEqual(['Formatted']);
    expect(await names(list(organization, `&search=${encodeURIComponent('3333-4444')}`))).toEqual(['Dotted']);
    expect(await names(list(organization, `&search=${encodeURIComponent('(55)')}`))).toEqual(['Formatted', 'Plain']);
    // Text that is not a number is still matched as typed: "12" finds the name, "12 x" nothing.
    expect(await names(list(organization, '&search=12'))).toEqual(['Room 12']);
    expect(await names(list(organization, `&search=${encodeURIComponent('12 x')}`))).toEqual([]);
    // Digits of the same phone split differently than the search: still the same digits.
    expect(await names(list(organization, `&search=${encodeURIComponent('9-8-8-8-8')}`))).toEqual(['Formatted']);
  });

  it('answers the whole list, byte for byte, for an empty or blank search; surrounding spaces are ignored', async () => {
    const { organization } = await organizationWith('search-blank', [
      ['Ana', '1'],
      ['Bia', '2'],
      ['Caio', '3'],
    ]);
    const whole = await get(list(organization));
    const firstPage = await get(list(organization, '&limit=2'));
    for (const blank of ['', '%20%20', '+', '%09']) {
      expect(await get(list(organization, `&search=${blank}`))).toEqual(whole);
      expect(await get(list(organization, `&search=${blank}&limit=2`))).toEqual(firstPage);
    }
    expect(await names(list(organization, '&search=%20%20bia%20'))).toEqual(['Bia']);
  });

  it('matches %, _ and \\ literally, not as wildcards', async () => {
    const { organization } = await organizationWith('search-literal', [
      ['100% Real', '1'],
      ['1000 Real', '2'],
      ['a_b', '3'],
      ['axb', '4'],
      ['back\\slash', '5'],
      ['backslash', '6'],
      ['Percent', '7%'],
    ]);
    const search = async (text: string) => names(list(organization, `&search=${encodeURIComponent(text)}`));
    expect(await search('%')).toEqual(['Percent', '100% Real']);
    expect(await search('0% R')).toEqual(['100% Real']);
    expect(await search('_')).toEqual(['a_b']);
    expect(await search('a_b')).toEqual(['a_b']);
    expect(await search('\\')).toEqual(['back\\slash']);
    expect(await search('k\\s')).toEqual(['back\\slash']);
    expect(await search('%%')).toEqual([]);
  });

  it("never answers another organization's help desks, whoever asks", async () => {
    const mine = await organizationWith('search-mine', [
      ['Shared Name', '5511900000001'],
      ['Only Mine', '5511900000002'],
    ]);
    const theirs = await organizationWith('search-theirs', [
      ['Shared Name', '5511900000001'],
      ['Shared Name Too', '5511900000003'],
    ]);
    const myKey = mine.key;
    const ownUuids = async (organization: string, search: string, key?: string) => {
      const res = await get(list(organization, `&search=${search}`), key);
      expect(res.status, res.body).toBe(200);
      return (JSON.parse(res.body) as Desk[]).map((desk) => desk.uuid);
    };
    expect(await ownUuids(mine.organization, 'shared', myKey)).toEqual([mine.desks.get('Shared Name')]);
    expect(await ownUuids(mine.organization, '55119000000', myKey)).toEqual([
      mine.desks.get('Only Mine'),
      mine.desks.get('Shared Name'),
    ]);
    // The administrator sees each organization's own, one at a time.
    expect(await ownUuids(theirs.organization, 'shared')).toEqual([
      theirs.desks.get('Shared Name Too'),
      theirs.desks.get('Shared Name'),
    ]);
    // Another organization's list stays not found, searched or not.
    for (const query of ['&search=shared', '&search=shared&limit=1']) {
      const res = await get(list(theirs.organization, query), myKey);
      expect([res.status, JSON.parse(res.body)]).toEqual([404, { detail: 'Not found.' }]);
    }
  });

  it('pages through the matches with limit and the Link, which keeps the search', async () => {
    const people: Array<[string, string]> = [];
    for (let n = 1; n <= 30; n++) {
      people.push([`Match & Co ${String(n).padStart(2, '0')}`, `5511${n}`]);
      people.push([`Other ${n}`, `5521${n}`]);
    }
    const { organization } = await organizationWith('search-pages', people);
    const search = encodeURIComponent('& co');
    const whole = await get(list(organization, `&search=${search}`));
    const expected = (JSON.parse(whole.body) as Desk[]).map((desk) => desk.client.name);
    expect(expected).toEqual(Array.from({ length: 30 }, (_, i) => `Match & Co ${String(30 - i).padStart(2, '0')}`));

    const bodies: unknown[] = [];
    const links: string[] = [];
    let url: string | undefined = list(organization, `&limit=7&search=${search}`);
    while (url !== undefined) {
      const page = await get(url);
      expect(page.status, page.body).toBe(200);
      bodies.push(...(JSON.parse(page.body) as unknown[]));
      url = nextUrl(page.link);
      if (url !== undefined) links.push(url);
    }
    expect(links).toHaveLength(4);
    for (const link of links) {
      expect(link).toMatch(
        new RegExp(`^/api/help-desks/\\?organization=${organization}&limit=7&search=%26\\+co&before=[A-Za-z0-9_-]+$`),
      );
    }
    // The pages together are the unpaged answer, byte for byte.
    expect(JSON.stringify(bodies)).toBe(whole.body);

    // With a status too, the Link keeps both.
    const open = await get(list(organization, `&limit=7&status=open&search=${search}`));
    expect(nextUrl(open.link)).toMatch(/&limit=7&status=open&search=%26\+co&before=/);
  });

  it('refuses a bad search with DRF field errors, never a 500', async () => {
    const { organization } = await organizationWith('search-errors', [['Ana', '1']]);
    const longest = 'a'.repeat(100);
    expect(await names(list(organization, `&search=${longest}`))).toEqual([]);
    // A repeated parameter is its last value, as Django's QueryDict reads it.
    expect(await names(list(organization, '&search=zzz&search=an'))).toEqual(['Ana']);
    const cases: Array<[string, unknown]> = [
      [`&search=${longest}a`, { search: ['Ensure this field has no more than 100 characters.'] }],
      ['&search=a%00b', { search: ['Null characters are not allowed.'] }],
      [
        `&search=${longest}a&limit=0`,
        {
          limit: ['Ensure this value is greater than or equal to 1.'],
          search: ['Ensure this field has no more than 100 characters.'],
        },
      ],
    ];
    for (const [query, body] of cases) {
      const res = await get(list(organization, query));
      expect([query, res.status, JSON.parse(res.body)]).toEqual([query, 400, body]);
    }
    // Bytes that are not UTF-8 are text like any other: nothing matches them.
    expect(await names(list(organization, '&search=%FF%FE'))).toEqual([]);
  });
});

describe('a search page reads only the organization, and sorts at most its matches (EXPLAIN on real Postgres)', () => {
  const recorder = useQueryRecorder(() => api.databaseUrl);

  /** `count` help desks, each with its own client ("client <n>", phone "55<n>") and one message. */
  async function insertHelpDesks(organization: string, count: number): Promise<void> {
    await sql`
      with org as (select id from organizations where name = ${organization}),
      new_clients as (
        insert into clients (uuid, organization_id, name, phone)
        select gen_random_uuid(), org.id, 'client ' || n, '55' || n from org, generate_series(1, ${count}) n
        returning id, organization_id
      ),
      new_desks as (
        insert into help_desks (uuid, organization_id, client_id, created_at, updated_at)
        select gen_random_uuid(), c.organization_id, c.id, now() - interval '2 hours',
          now() - interval '1 hour' + c.id * interval '1 millisecond'
        from new_clients c
        returning id, organization_id
      )
      insert into messages (uuid, organization_id, help_desk_id, message, type, status)
      select gen_random_uuid(), d.organization_id, d.id, 'hello', 'received', 'sent' from new_desks d
    `.execute(recorder.db);
    await sql`
      update help_desks h set last_message_id = m.id from messages m
      where m.help_desk_id = h.id and h.organization_id = (select id from organizations where name = ${organization})
    `.execute(recorder.db);
  }

  interface PlanNode {
    'Node Type': string;
    'Relation Name'?: string;
    'Index Name'?: string;
    'Actual Rows': number;
    Plans?: PlanNode[];
  }

  function nodesOf(node: PlanNode): PlanNode[] {
    return [node, ...(node.Plans ?? []).flatMap(nodesOf)];
  }

  /** The last query the repository ran, run again under EXPLAIN ANALYZE: its plan's nodes. */
  async function planOfLastQuery(): Promise<PlanNode[]> {
    const plan = await recorder.planOfLastQuery<Array<{ Plan: PlanNode }>>({ analyze: true });
    return nodesOf(plan[0]!.Plan);
  }

  const ALLOWED_INDEXES: Record<string, string[]> = {
    help_desks: ['help_desks_organization_activity_idx'],
    clients: ['clients_pkey', 'clients_organization_idx'],
    messages: ['messages_pkey'],
  };

  it('walks the activity index for a common search, and filters the organization for a rare one', async () => {
    // One organization among many of the same size, as in a shared deployment: reading the whole
    // table instead of the organization's part would read ten times what is needed.
    const organizations = Array.from({ length: 10 }, () => uniqueName('explain-search'));
    for (const organization of organizations) {
      await createOrganizationWithKey(api, 'explain-search', { name: organization });
      await insertHelpDesks(organization, 2_000);
    }
    await sql`analyze`.execute(recorder.db);
    const org = await recorder.db
      .selectFrom('organizations')
      .select('id')
      .where('name', '=', organizations[0]!)
      .executeTakeFirstOrThrow();

    // Every help desk matches; about a quarter do; one phone; none.
    for (const search of ['client', '7', '551999', '+55 (19) 99', 'no such client']) {
      const matches = (await listHelpDesks(recorder.db, org.id, { search })).length;
      const page = await listHelpDesksPage(recorder.db, org.id, { limit: 50, search });
      expect([search, page.records.length]).toEqual([search, Math.min(matches, 50)]);
      const nodes = await planOfLastQuery();
      const scans = nodes.filter((n) => n['Relation Name'] !== undefined);
      // Every table is read through an index of the organization's rows (or a row by its key): no
      // sequential scan, which would read every organization's.
      for (const scan of scans) {
        const table = scan['Relation Name']!;
        // A bitmap heap scan names its index in the bitmap index scan under it.
        const indexes = scan['Index Name'] ? [scan['Index Name']] : nodesOf(scan).flatMap((n) => n['Index Name'] ?? []);
        expect([search, table, indexes]).toEqual([search, table, [expect.toBeOneOf(ALLOWED_INDEXES[table] ?? [])]]);
      }
      // A sort, if any, sorts the matches only: never all the organization's help desks.
      for (const sort of nodes.filter((n) => n['Node Type'].includes('Sort'))) {
        expect(sort.Plans?.[0]?.['Actual Rows'], `${search}: rows into the sort`).toBeLessThanOrEqual(matches);
      }
    }
    // A search most help desks match stops at the page: the list order's index, a limit, no sort.
    await listHelpDesksPage(recorder.db, org.id, { limit: 50, search: 'client' });
    const common = await planOfLastQuery();
    expect(common.map((n) => n['Node Type'])).not.toContain('Sort');
    expect(common[0]!['Node Type']).toBe('Limit');
  });
});
