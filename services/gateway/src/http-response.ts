import { STATUS_CODES } from 'node:http';
import { detailError } from '@helpdesk/shared';
import type { HttpResponse } from 'uWebSockets.js';

/** "404 Not Found": uWS wants the whole status line after the HTTP version. */
function statusLine(status: number): string {
  return `${status} ${STATUS_CODES[status] ?? 'Unknown'}`;
}

/**
 * Answers with a JSON body. Corked, so it is valid both inside a uWS handler and later (after an
 * await); the caller must know the response was neither aborted nor answered yet.
 */
export function sendJson(
  res: HttpResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  res.cork(() => {
    res.writeStatus(statusLine(status));
    for (const [name, value] of Object.entries(headers)) res.writeHeader(name, value);
    res.writeHeader('Content-Type', 'application/json').end(JSON.stringify(body));
  });
}

/** DRF's error shape, `{"detail": "..."}` (CONTRACT.md). */
export function sendDetail(
  res: HttpResponse,
  status: number,
  detail: string,
  headers: Readonly<Record<string, string>> = {},
): void {
  sendJson(res, status, detailError(detail), headers);
}
