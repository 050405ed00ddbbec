import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { FastifyRequest } from 'fastify';
import { detail, fieldError } from './api-error.js';

export interface SpooledFile {
  path: string;
  size: number;
  /** The client's file name, kept as metadata only (never part of a storage key). */
  name: string;
  contentType: string;
  discard(): Promise<void>;
}

export interface MultipartInput {
  fields: Record<string, string>;
  file: SpooledFile | undefined;
}

export interface MultipartLimits {
  fileBytes: number;
  fieldBytes: number;
}

/**
 * Reads a multipart body: text fields into memory (bounded), the one `file` part streamed to a
 * spool file while its size limit is checked. Nothing reaches the file store from here.
 */
export async function readMultipart(
  request: FastifyRequest,
  spoolDir: string,
  limits: MultipartLimits,
): Promise<MultipartInput> {
  const fields: Record<string, string> = {};
  let file: SpooledFile | undefined;
  try {
    const parts = request.parts({
      limits: { fileSize: limits.fileBytes, files: 1, fields: 20, parts: 21, fieldSize: limits.fieldBytes },
    });
    for await (const part of parts) {
      if (part.type === 'field') {
        if (typeof part.value !== 'string') throw fieldError(part.fieldname, 'Not a valid string.');
        if (part.valueTruncated) throw detail(413, `Field "${part.fieldname}" is too long.`);
        fields[part.fieldname] = part.value;
        continue;
      }
      if (part.fieldname !== 'file') {
        part.file.resume();
        throw fieldError(part.fieldname, 'Unexpected file; send it as "file".');
      }
      await mkdir(spoolDir, { recursive: true });
      const path = join(spoolDir, randomBytes(16).toString('hex'));
      const discard = () => rm(path, { force: true });
      file = { path, size: 0, name: safeFileName(part.filename), contentType: part.mimetype || 'application/octet-stream', discard };
      let size = 0;
      part.file.on('data', (chunk: Buffer) => (size += chunk.length));
      await pipeline(part.file, createWriteStream(path));
      if (part.file.truncated) throw detail(413, `File is larger than ${limits.fileBytes} bytes.`);
      file.size = size;
    }
  } catch (error) {
    await file?.discard();
    throw error;
  }
  return { fields, file };
}

/** Keeps the client's name printable and short; it is metadata and a URL path segment only. */
function safeFileName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  const cleaned = base.replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, 200);
  return cleaned === '' ? 'file' : cleaned;
}
