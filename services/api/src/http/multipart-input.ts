import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, rm, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import type { FastifyRequest } from 'fastify';
import type { UploadedFile } from '../storage/file-store.js';
import { ApiError, detail, fieldError } from './api-error.js';
import { DRF_MESSAGES } from './drf-messages.js';
import { MAX_JSON_DEPTH, nestedDeeperThan, tooDeepReason } from './json-depth.js';

/** An upload spooled to disk; discard() removes what the file store did not take. */
export interface SpooledFile extends UploadedFile {
  /** SHA-256 of the bytes, hex: what an Idempotency-Key's request is recognised by. */
  sha256: string;
  discard(): Promise<void>;
}

export interface MultipartInput {
  fields: Record<string, unknown>;
  file: SpooledFile | undefined;
}

export interface MultipartLimits {
  fileBytes: number;
  fieldBytes: number;
}

/**
 * Reads a multipart body: text fields into memory (bounded), the one `file` part streamed to a
 * spool file while its size limit is checked. Nothing reaches the file store from here, and no
 * spool file outlives a failure.
 */
export async function readMultipart(
  request: FastifyRequest,
  spoolDir: string,
  limits: MultipartLimits,
): Promise<MultipartInput> {
  const fields: Record<string, unknown> = {};
  let file: SpooledFile | undefined;
  try {
    const parts = request.parts({
      limits: {
        fileSize: limits.fileBytes,
        files: MAX_FILE_PARTS,
        fields: 20,
        parts: 20 + MAX_FILE_PARTS,
        fieldSize: limits.fieldBytes,
      },
    });
    for await (const part of parts) {
      if (part.type === 'field') {
        if (part.valueTruncated) throw detail(413, `Field "${part.fieldname}" is too long.`);
        // A part declared application/json arrives parsed; the schema judges its value as for a JSON body.
        if (nestedDeeperThan(part.value, MAX_JSON_DEPTH)) throw malformed(tooDeepReason());
        fields[part.fieldname] = part.value;
        continue;
      }
      // A browser sends a file input left empty as a part with an empty file name: no file (as Django reads it).
      if (part.filename === '') {
        await drain(part.file);
        continue;
      }
      if (part.fieldname !== 'file') {
        await drain(part.file);
        throw fieldError(part.fieldname, 'Unexpected file; send it as "file".');
      }
      // Another `file` part replaces the one before it: the last one counts, as Django reads a form.
      await file?.discard();
      file = undefined;
      const path = join(spoolDir, randomBytes(16).toString('hex'));
      const spooled: SpooledFile = {
        path,
        size: 0,
        name: safeFileName(part.filename),
        contentType: part.mimetype || 'application/octet-stream',
        sha256: '',
        // A file store that took the file moved or removed it: no rm (a system call per upload).
        discard: () => (spooled.taken === true ? Promise.resolve() : rm(path, { force: true })),
      };
      file = spooled;
      ({ size: file.size, sha256: file.sha256 } = await spool(part.file, path));
      if (part.file.truncated) throw detail(413, `File is larger than ${limits.fileBytes} bytes.`);
      if (file.size === 0) throw fieldError('file', DRF_MESSAGES.emptyFile);
    }
  } catch (error) {
    await file?.discard();
    throw asClientError(error);
  }
  return { fields, file };
}

/** File parts read at most (each spooled, the earlier ones discarded); more is a 413. */
const MAX_FILE_PARTS = 4;

/** Copies a file part to `path`; its size in bytes and its digest. */
async function spool(source: Readable, path: string): Promise<{ size: number; sha256: string }> {
  // Opened before the part flows (nothing is read yet, so nothing is lost while it opens).
  const handle = await openSpoolFile(path);
  // A part cut short by the end of the body is destroyed before it is handed over (busboy), and
  // piping a destroyed stream never settles: the request hung, holding its spool file.
  if (source.destroyed && !source.readableEnded) {
    await handle.close();
    throw malformed('Part terminated early due to unexpected end of multipart data');
  }
  let size = 0;
  const hash = createHash('sha256');
  source.on('data', (chunk: Buffer) => {
    size += chunk.length;
    hash.update(chunk);
  });
  const sink = handle.createWriteStream();
  try {
    await pipeline(source, sink);
  } catch (error) {
    // The disk failing is the server's problem; the body failing is the client's.
    if (sink.errored) throw error;
    throw malformed(error instanceof Error ? error.message : String(error));
  }
  return { size, sha256: hash.digest('hex') };
}

/**
 * A new spool file, owner only as in the store it is moved to (issue 13, item 8). Its folder is
 * made at start, and again only when it is missing (a temp-folder cleaner may remove it while the
 * process is idle): a mkdir per upload cost a system call and a path walk for nothing.
 */
async function openSpoolFile(path: string): Promise<FileHandle> {
  try {
    return await open(path, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    return open(path, 'wx', 0o600);
  }
}

/** Reads a part to its end without keeping it, so the parts after it arrive. */
async function drain(source: Readable): Promise<void> {
  if (source.destroyed || source.readableEnded) return;
  source.resume();
  await finished(source).catch(() => undefined);
}

function malformed(reason: string): ApiError {
  return detail(400, DRF_MESSAGES.multipartParseError(reason));
}

/**
 * Errors of the body itself (busboy's "Boundary not found", a part ending early) are the client's:
 * 400, as DRF's MultiPartParser answers. Errors with a status or from the system pass unchanged.
 */
function asClientError(error: unknown): unknown {
  if (error instanceof ApiError || !(error instanceof Error)) return error;
  if ('statusCode' in error || 'syscall' in error) return error;
  return malformed(error.message);
}

// encodeURIComponent throws on these, which would fail the answer after the message was stored.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

// Format characters (Unicode Cf): bidi overrides and isolates (U+202A–E, U+2066–9), marks
// (U+200E/F), zero-width ones. They change how a name displays, not what it is: `resume\u202Efdp.exe`
// shows as `resumeexe.pdf` (issue 13, item 7).
const FORMAT_CHARACTERS = /\p{Cf}/gu;

// Longest stored name, in UTF-8 bytes (as most file systems allow); the URL segment stays short.
const MAX_NAME_BYTES = 255;

/** Keeps the client's name printable and short; it is metadata and a URL path segment only. */
export function safeFileName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  let cleaned = base
    .replace(LONE_SURROGATE, '\ufffd')
    .replace(FORMAT_CHARACTERS, '')
    .split('')
    .filter((c) => c >= ' ' && c !== '\u007f')
    .join('')
    .trim();
  // "." and ".." would make the file URL point at a folder once a client normalizes it.
  if (cleaned === '.' || cleaned === '..') return 'file';
  let bytes = 0;
  let kept = '';
  for (const char of cleaned) {
    bytes += Buffer.byteLength(char);
    if (bytes > MAX_NAME_BYTES) break;
    kept += char;
  }
  cleaned = kept.trim();
  return cleaned === '' ? 'file' : cleaned;
}
