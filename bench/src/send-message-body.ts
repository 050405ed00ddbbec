// The body of one POST /api/send-message/, as the load generators send it: JSON, or multipart
// with a small file (the api's upload path: spooling, the file store, the file URL).

import type { BodyKind } from './plan.js';

const BOUNDARY = '----helpdesk-bench-boundary';

export function sendMessageBody(
  kind: BodyKind,
  message: string,
  helpDesk: string,
  file: Buffer,
): { contentType: string; body: string | Buffer } {
  if (kind === 'json')
    return { contentType: 'application/json', body: JSON.stringify({ message, help_desk: helpDesk }) };
  const field = (name: string, value: string) =>
    `--${BOUNDARY}\r\ncontent-disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  return {
    contentType: `multipart/form-data; boundary=${BOUNDARY}`,
    body: Buffer.concat([
      Buffer.from(
        `${field('message', message)}${field('help_desk', helpDesk)}--${BOUNDARY}\r\n` +
          'content-disposition: form-data; name="file"; filename="bench.txt"\r\ncontent-type: text/plain\r\n\r\n',
      ),
      file,
      Buffer.from(`\r\n--${BOUNDARY}--\r\n`),
    ]),
  };
}
