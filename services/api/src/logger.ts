import pino, { type Logger } from 'pino';

/** JSON logs; credentials never leave the process in them. */
export function createLogger(level: string, name: string): Logger {
  return pino({
    name,
    level,
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["sec-websocket-protocol"]'],
      censor: '[redacted]',
    },
  });
}
