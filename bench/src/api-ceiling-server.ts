// The reference the api is measured against (issue 12): the least a Node server can do for the
// same send-message request. node:http, pg and ioredis; it parses the JSON or multipart body
// (a file is written to disk, as the api's disk store keeps it), runs one prepared statement that
// does the api's writes (api-ceiling-queries.ts), publishes the three envelopes it returns, and
// answers the message. For the reads scenario it serves the first page of the help-desk list and
// of a history: one query each, rows through the shared serializers. No auth, validation,
// idempotency, relay, logging or limits.
// Run by the bench as its own process: PORT (0: any), HOST, DATABASE_URL, DATABASE_POOL_SIZE,
// REDIS_URL, REDIS_PREFIX, FILES_DIR, TIME_ZONE, PUBLIC_BASE_URL, PAGE_SIZE.

import { randomBytes, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Busboy } from '@fastify/busboy';
import { Redis } from 'ioredis';
import pg from 'pg';
import {
  fileUrl,
  organizationChannel,
  serializeHelpDesk,
  serializeMessage,
  type HelpDeskStatus,
  type MessageRecord,
  type MessageStatus,
  type MessageType,
} from '@helpdesk/shared';
import { HISTORY_SQL, LIST_HELP_DESKS_SQL, SEND_MESSAGE_SQL } from './api-ceiling-queries.js';

const TIMESTAMPTZ_OID = 1184;

function env(name: string, fallback?: string): string {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`${name} is required`);
  return value;
}

const prefix = env('REDIS_PREFIX');
const filesDir = env('FILES_DIR');
const timeZone = env('TIME_ZONE', 'UTC');
const pool = new pg.Pool({
  connectionString: env('DATABASE_URL'),
  max: Number(env('DATABASE_POOL_SIZE', '10')),
  // As the api opens its connections: timestamps in the configured zone, ISO style, read as text.
  options: `-c TimeZone=${timeZone} -c DateStyle=ISO`,
  types: {
    getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
      oid === TIMESTAMPTZ_OID
        ? (value: string) => value
        : (pg.types.getTypeParser(oid, format) as (value: string) => unknown)) as typeof pg.types.getTypeParser,
  },
});
/** Without `limit`, the page a reads run asks for (its data set is sized to it). */
const DEFAULT_PAGE_SIZE = Number(env('PAGE_SIZE', '50'));
const redis = new Redis(env('REDIS_URL'), {
  connectionName: 'helpdesk-bench:api-ceiling',
  enableAutoPipelining: true,
  maxRetriesPerRequest: 2,
});

interface SendInput {
  helpDesk: string;
  message: string;
  file?: { key: string; name: string; contentType: string; size: number };
}

interface SendRow {
  organization_name: string;
  payload: string;
  sent: string;
}

class BadRequest extends Error {}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

async function readJson(request: IncomingMessage): Promise<SendInput> {
  let body: { message?: unknown; help_desk?: unknown };
  try {
    body = JSON.parse(await readBody(request)) as typeof body;
  } catch {
    throw new BadRequest('JSON parse error');
  }
  return { helpDesk: String(body.help_desk), message: typeof body.message === 'string' ? body.message : '' };
}

const madeDirs = new Set<string>();

/** Fields into memory, the `file` part straight to FILES_DIR/<key[0:2]>/<key>, as the api's disk store lays it out. */
function readMultipart(request: IncomingMessage): Promise<SendInput> {
  return new Promise((resolve, reject) => {
    const input: SendInput = { helpDesk: '', message: '' };
    const writes: Array<Promise<void>> = [];
    const busboy = new Busboy({ headers: request.headers as { 'content-type': string } });
    busboy.on('field', (name, value) => {
      if (name === 'help_desk') input.helpDesk = value;
      else if (name === 'message') input.message = value;
    });
    busboy.on('file', (name, stream, filename, _encoding, mimeType) => {
      if (name !== 'file') {
        stream.resume();
        return;
      }
      const key = randomBytes(16).toString('hex');
      const dir = join(filesDir, key.slice(0, 2));
      const file = { key, name: filename, contentType: mimeType, size: 0 };
      input.file = file;
      writes.push(
        (async () => {
          if (!madeDirs.has(dir)) {
            await mkdir(dir, { recursive: true });
            madeDirs.add(dir);
          }
          const out = createWriteStream(join(dir, key));
          await pipeline(stream, out);
          file.size = out.bytesWritten;
        })(),
      );
    });
    busboy.on('finish', () => {
      Promise.all(writes).then(() => resolve(input), reject);
    });
    busboy.on('error', reject);
    request.pipe(busboy);
  });
}

async function sendMessage(request: IncomingMessage, response: ServerResponse): Promise<void> {
  const contentType = request.headers['content-type'] ?? '';
  const input = contentType.startsWith('multipart/form-data') ? await readMultipart(request) : await readJson(request);
  const { file } = input;
  let rows: SendRow[];
  try {
    const result = await pool.query<SendRow>({
      name: 'send-message',
      text: SEND_MESSAGE_SQL,
      values: [
        input.helpDesk,
        randomUUID(),
        input.message,
        file?.key ?? null,
        file?.name ?? null,
        file?.contentType ?? null,
        file?.size ?? null,
        file ? fileUrl(baseUrl, file.key, file.name) : null,
      ],
    });
    rows = result.rows;
  } catch (error) {
    // invalid_text_representation: the help desk is not a uuid.
    if ((error as { code?: string }).code === '22P02') rows = [];
    else throw error;
  }
  if (rows.length === 0) {
    answer(response, 400, JSON.stringify({ help_desk: [`Invalid pk "${input.helpDesk}" - object does not exist.`] }));
    return;
  }
  const channel = organizationChannel(prefix, rows[0]!.organization_name);
  for (const row of rows) {
    redis.publish(channel, row.payload).catch((error: unknown) => console.error('api ceiling: publish failed', error));
  }
  answer(response, 201, rows[0]!.sent);
}

interface HelpDeskRow {
  uuid: string;
  created_at: string;
  updated_at: string;
  status: HelpDeskStatus;
  client_uuid: string;
  client_created_at: string;
  client_updated_at: string;
  client_name: string;
  client_phone: string;
  message_uuid: string | null;
  message_created_at: string;
  message_updated_at: string;
  message_message: string;
  message_file_key: string | null;
  message_file_name: string | null;
  message_type: MessageType;
  message_status: MessageStatus;
}

/** A history row: the shared record less the help desk, which the request names. */
type MessageRow = Omit<MessageRecord, 'help_desk_uuid'>;

function pageSize(query: URLSearchParams): number {
  const limit = Number(query.get('limit') ?? DEFAULT_PAGE_SIZE);
  return Number.isInteger(limit) && limit > 0 ? limit : DEFAULT_PAGE_SIZE;
}

/** The organization's first page of help desks, through the shared serializer. */
async function listHelpDesks(query: URLSearchParams, response: ServerResponse): Promise<void> {
  const { rows } = await pool.query<HelpDeskRow>({
    name: 'list-help-desks',
    text: LIST_HELP_DESKS_SQL,
    values: [query.get('organization') ?? '', pageSize(query)],
  });
  const page = rows.map((row) =>
    serializeHelpDesk(
      {
        uuid: row.uuid,
        created_at: row.created_at,
        updated_at: row.updated_at,
        status: row.status,
        client: {
          uuid: row.client_uuid,
          created_at: row.client_created_at,
          updated_at: row.client_updated_at,
          name: row.client_name,
          phone: row.client_phone,
        },
        last_message:
          row.message_uuid === null
            ? null
            : {
                uuid: row.message_uuid,
                created_at: row.message_created_at,
                updated_at: row.message_updated_at,
                message: row.message_message,
                file_key: row.message_file_key,
                file_name: row.message_file_name,
                type: row.message_type,
                status: row.message_status,
                help_desk_uuid: row.uuid,
              },
      },
      baseUrl,
    ),
  );
  answer(response, 200, JSON.stringify(page));
}

/** The help desk's first page of messages, oldest first, through the shared serializer. */
async function history(helpDesk: string, query: URLSearchParams, response: ServerResponse): Promise<void> {
  const { rows } = await pool.query<MessageRow>({
    name: 'history',
    text: HISTORY_SQL,
    values: [helpDesk, pageSize(query)],
  });
  answer(
    response,
    200,
    JSON.stringify(rows.map((row) => serializeMessage({ ...row, help_desk_uuid: helpDesk }, baseUrl))),
  );
}

function answer(response: ServerResponse, status: number, body: string): void {
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  response.end(body);
}

const HISTORY_PATH = /^\/api\/help-desks\/([^/]+)\/history\/$/;

const server = createServer((request, response) => {
  const [path = '', search = ''] = (request.url ?? '').split('?');
  const historyOf = request.method === 'GET' ? HISTORY_PATH.exec(path)?.[1] : undefined;
  let handled: Promise<void>;
  if (request.method === 'POST' && path === '/api/send-message/') handled = sendMessage(request, response);
  else if (request.method === 'GET' && path === '/api/help-desks/')
    handled = listHelpDesks(new URLSearchParams(search), response);
  else if (historyOf !== undefined) handled = history(historyOf, new URLSearchParams(search), response);
  else {
    request.resume();
    answer(response, 404, '{"detail":"Not found."}');
    return;
  }
  handled.catch((error: unknown) => {
    if (error instanceof BadRequest) answer(response, 400, JSON.stringify({ detail: error.message }));
    // invalid_text_representation: a help desk in a path that is not a uuid.
    else if ((error as { code?: string }).code === '22P02') answer(response, 404, '{"detail":"Not found."}');
    else {
      console.error('api ceiling:', error);
      if (!response.headersSent) answer(response, 500, '{"detail":"A server error occurred."}');
    }
  });
});
server.keepAliveTimeout = 65_000;

const host = env('HOST', '127.0.0.1');
/** File URLs start with it: PUBLIC_BASE_URL, else the address listened on (as the api does). */
let baseUrl = process.env['PUBLIC_BASE_URL'] ?? '';
server.listen(Number(env('PORT')), host, () => {
  const { port } = server.address() as AddressInfo;
  baseUrl ||= `http://${host}:${port}`;
  console.log(JSON.stringify({ msg: `api ceiling listening on 127.0.0.1:${port}`, port }));
});

const stop = () => {
  server.close();
  redis.disconnect();
  void pool.end().finally(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
