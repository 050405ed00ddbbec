import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Transaction } from 'kysely';
import type { MessageJson } from '@helpdesk/shared';
import { principalOf } from '../auth/access.js';
import type { DB } from '../db/tables.js';
import { beginIdempotent } from '../services/idempotency.service.js';
import { fieldError } from './api-error.js';
import { DRF_MESSAGES } from './drf-messages.js';
import { readMultipart, type SpooledFile } from './multipart-input.js';

// send-message and receive-message take a message the same way: JSON, form or multipart body →
// fields checked → Idempotency-Key → the service. This is that one pipeline; each route says only
// how it reads its fields, what it looks up, and which service stores the message.

export const IDEMPOTENCY_HEADER = 'idempotency-key';
export const REPLAYED_HEADER = 'idempotent-replayed';

export interface MessageRouteOptions {
  idempotencyTtlSeconds: number;
  uploadSpoolDir: string;
  limits: { fileBytes: number; messageChars: number; storageBytesPerOrganization: number };
}

/** A message that passed every check, ready for its service. */
export interface ValidMessage<F, L> {
  fields: F;
  /** The text as stored: trimmed, as DRF's CharField does ('' with only a file). */
  text: string;
  file: SpooledFile | undefined;
  fileBaseUrl: string;
  /** What the route looked up (the organization, say). */
  found: L;
  /**
   * Stores the answer for the request's Idempotency-Key, in the transaction that creates the
   * message; undefined without a key.
   */
  recordAnswer: ((trx: Transaction<DB>, answer: MessageJson) => Promise<void>) | undefined;
}

export interface MessageRoute<F extends { message?: string }, L> {
  /**
   * The fields, checked: from a multipart body's text parts, or from a JSON or form body (Fastify
   * has checked these against the route's body schema already; undefined when there is none).
   */
  parse(raw: Record<string, unknown> | undefined, multipart: boolean): F;
  /** After the fields and text are valid: what the message needs looked up. */
  lookUp(fields: F, request: FastifyRequest): Promise<L> | L;
  /**
   * What the request asks besides its text and file, as Idempotency-Key compares it (the same key
   * for another request is refused): its known fields only, never an unknown one, which may be
   * anything (a body nested thousands deep, say).
   */
  asked(fields: F, found: L): Record<string, unknown>;
  store(message: ValidMessage<F, L>): Promise<MessageJson>;
}

/** Runs one message-creating request through the pipeline and answers 201 (or the replayed answer). */
export async function takeMessage<F extends { message?: string }, L>(
  app: FastifyInstance,
  request: FastifyRequest,
  reply: FastifyReply,
  options: MessageRouteOptions,
  route: MessageRoute<F, L>,
): Promise<FastifyReply> {
  const baseUrl = app.publicOrigin();
  let file: SpooledFile | undefined;
  try {
    let fields: F;
    if (request.isMultipart()) {
      const input = await readMultipart(request, options.uploadSpoolDir, {
        fileBytes: options.limits.fileBytes,
        fieldBytes: options.limits.messageChars * 4,
      });
      file = input.file;
      fields = route.parse(input.fields, true);
    } else {
      fields = route.parse(request.body as Record<string, unknown> | undefined, false);
    }
    // DRF's CharField trims by default, before its checks: stored and answered without
    // surrounding whitespace, its length counted without it.
    const text = fields.message?.trim();
    const problem = messageProblem(text, file !== undefined, options.limits.messageChars);
    if (problem !== undefined) throw fieldError('message', problem);
    const found = await route.lookUp(fields, request);

    const header = request.headers[IDEMPOTENCY_HEADER];
    const idempotent = await beginIdempotent(app.db, {
      key: Array.isArray(header) ? header.join(', ') : header,
      apiKeyId: principalOf(request).keyId,
      operation: `${request.method} ${request.routeOptions.url ?? ''}`,
      asked: {
        ...route.asked(fields, found),
        message: text ?? null,
        file: file ? { name: file.name, contentType: file.contentType, sha256: file.sha256 } : null,
      },
      ttlSeconds: options.idempotencyTtlSeconds,
    });
    // Only 201 answers are stored (a failed request releases its key).
    if (idempotent.kind === 'replay') {
      return await reply.code(idempotent.statusCode).header(REPLAYED_HEADER, 'true').send(idempotent.body);
    }
    const { record } = idempotent;
    let created: MessageJson;
    try {
      created = await route.store({
        fields,
        text: text ?? '',
        file,
        fileBaseUrl: baseUrl,
        found,
        recordAnswer: record && ((trx, answer) => record(trx, 201, answer)),
      });
    } catch (error) {
      await idempotent.release();
      throw error;
    }
    return await reply.code(201).send(created);
  } finally {
    // The file store consumed the spool file if it took it; on any failure before that, nothing is left.
    await file?.discard();
  }
}

/**
 * What is wrong with the message text, in DRF's words, or undefined. A message needs text or a
 * file. Length counts characters (code points) as Python does, not UTF-16 units.
 */
function messageProblem(message: string | undefined, hasFile: boolean, maxChars: number): string | undefined {
  if (message === undefined) return hasFile ? undefined : DRF_MESSAGES.required;
  if (message.includes('\u0000')) return DRF_MESSAGES.nullCharacters;
  if (characterCount(message, maxChars) > maxChars) return DRF_MESSAGES.maxLength(maxChars);
  if (message.trim() === '' && !hasFile) return DRF_MESSAGES.blank;
  return undefined;
}

/** Code points in `text`, counting no further than just past `limit`. */
function characterCount(text: string, limit: number): number {
  if (text.length <= limit) return text.length;
  let count = 0;
  for (const _ of text) if (++count > limit) break;
  return count;
}
