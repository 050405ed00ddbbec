// Generated from the api's OpenAPI document (GET /api/schema/) by `pnpm --filter @helpdesk/client generate`.
// Do not edit: change the route schemas, then regenerate (a test fails while this file differs).

export interface paths {
  '/api/whoami/': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Whom the request's key belongs to: an administrator, or an organization (which) */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['WhoAmI'];
          };
        };
        /** @description No valid credentials */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
        /** @description Too many requests */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/organizations/': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** List organizations: all for an administrator, its own for an organization's key */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Organization'][];
          };
        };
        /** @description No valid credentials */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
        /** @description Too many requests */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
      };
    };
    put?: never;
    /** Create an organization (administrator) */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody: {
        content: {
          'application/json': {
            /** @description Letters, digits, "_" and "-", at most 64 characters */
            name: string;
          };
        };
      };
      responses: {
        /** @description Default Response */
        201: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Organization'];
          };
        };
        /** @description Invalid input: field errors {"field": ["..."]}, or {"detail"} for a malformed body */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['FieldErrors'] | components['schemas']['DetailError'];
          };
        };
        /** @description No valid credentials */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
        /** @description Needs an administrator's key */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
        /** @description Unsupported media type */
        415: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
        /** @description Too many requests */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/clients/': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** List an organization's clients */
    get: {
      parameters: {
        query: {
          /** @description Letters, digits, "_" and "-", at most 64 characters */
          organization: string;
        };
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Client'][];
          };
        };
        /** @description Invalid input: field errors {"field": ["..."]}, or {"detail"} for a malformed body */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['FieldErrors'] | components['schemas']['DetailError'];
          };
        };
        /** @description No valid credentials */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
        /** @description Not found */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
        /** @description Too many requests */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
      };
    };
    put?: never;
    /** Create a client of an organization */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody: {
        content: {
          'application/json': {
            /** @description Letters, digits, "_" and "-", at most 64 characters */
            organization: string;
            name: string;
            phone: string;
          };
        };
      };
      responses: {
        /** @description Default Response */
        201: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Client'];
          };
        };
        /** @description Invalid input: field errors {"field": ["..."]}, or {"detail"} for a malformed body */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['FieldErrors'] | components['schemas']['DetailError'];
          };
        };
        /** @description No valid credentials */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
        /** @description Not found */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
        /** @description Unsupported media type */
        415: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
        /** @description Too many requests */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/help-desks/': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * An organization's help desks, most recent activity first
     * @description Without `limit`, every help desk (the contract). With it, one page; the next page's URL is in the `Link` header (rel="next"), absent on the last page. A help desk that moves to the top of the list while you walk it (a new message) is not repeated; its update_helpdesk event tells you. `search` keeps the help desks whose client's name or phone contains the text (case-insensitive, literal: `%` and `_` are no wildcards), in the same order and pages; the Link keeps it.
     */
    get: {
      parameters: {
        query: {
          /** @description Letters, digits, "_" and "-", at most 64 characters */
          organization: string;
          /** @description Turns pagination on: at most this many items (1 to 200); the next page's URL is in the Link header */
          limit?: number;
          /** @description Opaque cursor from the previous page's Link header (rel="next"): the help desks after it in the list. Needs `limit`. */
          before?: string;
          /** @description Only the help desks with this status */
          status?: 'open' | 'closed';
          /** @description Only the help desks whose client's name or phone contains this text (case-insensitive; % _ and \ match themselves; surrounding spaces ignored; empty: no filter). A number compares digits only, so "+55 (11) 99999" finds 5511999990000 and the reverse. Works with `limit`, `before` and `status`. */
          search?: string;
        };
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            /** @description Only with `limit`, and only when there is a next page: `<URL of the next page>; rel="next"`. The URL is relative to the api's origin (it starts with /api/). */
            link?: string;
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['HelpDesk'][];
          };
        };
        /** @description Invalid input: field errors {"field": ["..."]}, or {"detail"} for a malformed body */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['FieldErrors'] | components['schemas']['DetailError'];
          };
        };
        /** @description No valid credentials */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
        /** @description Not found */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
        /** @description Too many requests */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
      };
    };
    put?: never;
    /** Open a help desk between an organization and one of its clients */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody: {
        content: {
          'application/json': {
            /** @description Letters, digits, "_" and "-", at most 64 characters */
            organization: string;
            /** Format: uuid */
            client: string;
          };
        };
      };
      responses: {
        /** @description Default Response */
        201: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['HelpDesk'];
          };
        };
        /** @description Invalid input: field errors {"field": ["..."]}, or {"detail"} for a malformed body */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['FieldErrors'] | components['schemas']['DetailError'];
          };
        };
        /** @description No valid credentials */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
        /** @description Not found */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
        /** @description Unsupported media type */
        415: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
        /** @description Too many requests */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/help-desks/{uuid}/history/': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * A help desk's messages, oldest first
     * @description Without `limit`, every message (the contract). With it, the newest `limit` messages, or the `limit` before the message `before`, still oldest first; the next (older) page's URL is in the `Link` header (rel="next"), absent on the oldest page.
     */
    get: {
      parameters: {
        query?: {
          /** @description Turns pagination on: at most this many items (1 to 200); the next page's URL is in the Link header */
          limit?: number;
          /** @description A message of this help desk: the `limit` messages written before it (without it: the newest). Needs `limit`. */
          before?: string;
        };
        header?: never;
        path: {
          uuid: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            /** @description Only with `limit`, and only when there is a next page: `<URL of the next page>; rel="next"`. The URL is relative to the api's origin (it starts with /api/). */
            link?: string;
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Message'][];
          };
        };
        /** @description Invalid input: field errors {"field": ["..."]}, or {"detail"} for a malformed body */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['FieldErrors'] | components['schemas']['DetailError'];
          };
        };
        /** @description No valid credentials */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
        /** @description Not found */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
        /** @description Too many requests */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/help-desks/{uuid}/': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    /**
     * Open or close a help desk
     * @description Sockets of the organization receive update_helpdesk when the status changes. Inbound messages go to the client's open help desk, or open a new one.
     */
    patch: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          uuid: string;
        };
        cookie?: never;
      };
      requestBody: {
        content: {
          'application/json': {
            status: 'open' | 'closed';
          };
        };
      };
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['HelpDesk'];
          };
        };
        /** @description Invalid input: field errors {"field": ["..."]}, or {"detail"} for a malformed body */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['FieldErrors'] | components['schemas']['DetailError'];
          };
        };
        /** @description No valid credentials */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
        /** @description Not found */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
        /** @description Unsupported media type */
        415: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
        /** @description Too many requests */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
      };
    };
    trace?: never;
  };
  '/api/send-message/': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Send a message (organization to client), with an optional file
     * @description JSON, form-urlencoded or multipart. Creates a `sent` message and answers it. Sockets of the organization receive new_message, update_helpdesk and update_message.
     */
    post: {
      parameters: {
        query?: never;
        header?: {
          /** @description Any 1 to 255 printable characters, new for each message: a retry with the same key (and the same API key) answers what the first request answered, and creates nothing */
          'idempotency-key'?: string;
        };
        path?: never;
        cookie?: never;
      };
      requestBody: {
        content: {
          'application/json': {
            message?: string;
            /** Format: uuid */
            help_desk: string;
            /** @description Only as a multipart file part; null or empty elsewhere means no file */
            file?: unknown;
          };
          'application/x-www-form-urlencoded': {
            message?: string;
            /** Format: uuid */
            help_desk: string;
            /** @description Only as a multipart file part; null or empty elsewhere means no file */
            file?: unknown;
          };
          'multipart/form-data': {
            message?: string;
            /** Format: uuid */
            help_desk: string;
            /** Format: binary */
            file?: string;
          } | null;
        };
      };
      responses: {
        /** @description Default Response */
        201: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Message'];
          };
        };
        /** @description Invalid input: field errors {"field": ["..."]}, or {"detail"} for a malformed body */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['FieldErrors'] | components['schemas']['DetailError'];
          };
        };
        /** @description No valid credentials */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
        /** @description A request with the same Idempotency-Key is still in progress (or took this one over): nothing was created */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
        /** @description Body or file too large */
        413: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
        /** @description Unsupported media type */
        415: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
        /** @description The Idempotency-Key was already used with another request */
        422: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
        /** @description Too many requests */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/receive-message/': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Receive a message (client to organization), with an optional file
     * @description JSON, form-urlencoded or multipart. Finds or creates the client by phone and its open help desk, stores a `received` message and answers it. Sockets of the organization receive new_message and update_helpdesk.
     */
    post: {
      parameters: {
        query?: never;
        header?: {
          /** @description Any 1 to 255 printable characters, new for each message: a retry with the same key (and the same API key) answers what the first request answered, and creates nothing */
          'idempotency-key'?: string;
        };
        path?: never;
        cookie?: never;
      };
      requestBody: {
        content: {
          'application/json': {
            /** @description Needed with an administrator's key; else the key's own */
            organization?: string;
            client: {
              name: string;
              phone: string;
            };
            message?: string;
          };
          'application/x-www-form-urlencoded': {
            /** @description Needed with an administrator's key; else the key's own */
            organization?: string;
            'client.name': string;
            'client.phone': string;
            message?: string;
          };
          'multipart/form-data': {
            organization?: string;
            /** @description JSON: {"name", "phone"} */
            client?: string;
            'client.name'?: string;
            'client.phone'?: string;
            message?: string;
            /** Format: binary */
            file?: string;
          } | null;
        };
      };
      responses: {
        /** @description Default Response */
        201: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Message'];
          };
        };
        /** @description Invalid input: field errors {"field": ["..."]}, or {"detail"} for a malformed body */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['FieldErrors'] | components['schemas']['DetailError'];
          };
        };
        /** @description No valid credentials */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
        /** @description Not found */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
        /** @description A request with the same Idempotency-Key is still in progress (or took this one over): nothing was created */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
        /** @description Body or file too large */
        413: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
        /** @description Unsupported media type */
        415: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
        /** @description The Idempotency-Key was already used with another request */
        422: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
        /** @description Too many requests */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/messages/{uuid}/': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    /**
     * Move a message's status forward: sending → sent → delivered → read, or failed before delivery
     * @description Sockets of the organization receive update_message. A backward or same move answers 400.
     */
    patch: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          uuid: string;
        };
        cookie?: never;
      };
      requestBody: {
        content: {
          'application/json': {
            status: 'delivered' | 'read' | 'failed';
          };
        };
      };
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Message'];
          };
        };
        /** @description Invalid input: field errors {"field": ["..."]}, or {"detail"} for a malformed body */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['FieldErrors'] | components['schemas']['DetailError'];
          };
        };
        /** @description No valid credentials */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
        /** @description Not found */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
        /** @description Unsupported media type */
        415: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
        /** @description Too many requests */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
      };
    };
    trace?: never;
  };
  '/api/files/{key}/{name}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** A message's file (the URL in a Message's `file`) */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          key: string;
          name: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description The file bytes: its own type when a browser cannot run it, else application/octet-stream */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/octet-stream': string;
          };
        };
        /** @description No valid credentials */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
        /** @description Not found */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
        /** @description Too many requests */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/organizations/{name}/api-keys/': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Active API keys, an organization's, without secrets (administrator) */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          /** @description Letters, digits, "_" and "-", at most 64 characters */
          name: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ApiKey'][];
          };
        };
        /** @description Invalid input: field errors {"field": ["..."]}, or {"detail"} for a malformed body */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['FieldErrors'] | components['schemas']['DetailError'];
          };
        };
        /** @description No valid credentials */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
        /** @description Needs an administrator's key */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
        /** @description Not found */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
        /** @description Too many requests */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
      };
    };
    put?: never;
    /** Create an API key, an organization's (administrator) */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          /** @description Letters, digits, "_" and "-", at most 64 characters */
          name: string;
        };
        cookie?: never;
      };
      requestBody: {
        content: {
          'application/json': {
            name: string;
          };
        };
      };
      responses: {
        /** @description Default Response */
        201: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['CreatedApiKey'];
          };
        };
        /** @description Invalid input: field errors {"field": ["..."]}, or {"detail"} for a malformed body */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['FieldErrors'] | components['schemas']['DetailError'];
          };
        };
        /** @description No valid credentials */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
        /** @description Needs an administrator's key */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
        /** @description Not found */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
        /** @description Unsupported media type */
        415: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
        /** @description Too many requests */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/organizations/{name}/api-keys/{uuid}/': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    post?: never;
    /** Revoke an API key at once, an organization's (administrator) */
    delete: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          /** @description Letters, digits, "_" and "-", at most 64 characters */
          name: string;
          uuid: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        204: {
          headers: {
            [name: string]: unknown;
          };
          content?: never;
        };
        /** @description No valid credentials */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
        /** @description Needs an administrator's key */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
        /** @description Not found */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
        /** @description Too many requests */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
      };
    };
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/admin-keys/': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Active API keys, administrators', without secrets (administrator) */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['ApiKey'][];
          };
        };
        /** @description Invalid input: field errors {"field": ["..."]}, or {"detail"} for a malformed body */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['FieldErrors'] | components['schemas']['DetailError'];
          };
        };
        /** @description No valid credentials */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
        /** @description Needs an administrator's key */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
        /** @description Not found */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
        /** @description Too many requests */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
      };
    };
    put?: never;
    /** Create an API key, administrators' (administrator) */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody: {
        content: {
          'application/json': {
            name: string;
          };
        };
      };
      responses: {
        /** @description Default Response */
        201: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['CreatedApiKey'];
          };
        };
        /** @description Invalid input: field errors {"field": ["..."]}, or {"detail"} for a malformed body */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['FieldErrors'] | components['schemas']['DetailError'];
          };
        };
        /** @description No valid credentials */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
        /** @description Needs an administrator's key */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
        /** @description Not found */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
        /** @description Unsupported media type */
        415: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
        /** @description Too many requests */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/admin-keys/{uuid}/': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    post?: never;
    /** Revoke an API key at once, administrators' (administrator) */
    delete: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          uuid: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        204: {
          headers: {
            [name: string]: unknown;
          };
          content?: never;
        };
        /** @description No valid credentials */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
        /** @description Needs an administrator's key */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
        /** @description Not found */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
        /** @description Too many requests */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
      };
    };
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/organizations/{name}/webhook/': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** An organization's delivery webhook, without its secret (administrator) */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          /** @description Letters, digits, "_" and "-", at most 64 characters */
          name: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description The secret is never answered back */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Webhook'];
          };
        };
        /** @description Invalid input: field errors {"field": ["..."]}, or {"detail"} for a malformed body */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['FieldErrors'] | components['schemas']['DetailError'];
          };
        };
        /** @description No valid credentials */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
        /** @description Needs an administrator's key */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
        /** @description Not found */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
        /** @description Too many requests */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
      };
    };
    /**
     * Set an organization's delivery webhook (administrator)
     * @description From now on its `sent` messages stay `sending` until the webhook answers 2xx (then `sent`), or fail after the last retry (`failed`). A URL whose host is (or resolves to) a loopback, link-local or private address is refused unless the server allows them (WEBHOOK_ALLOW_PRIVATE).
     */
    put: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          /** @description Letters, digits, "_" and "-", at most 64 characters */
          name: string;
        };
        cookie?: never;
      };
      requestBody: {
        content: {
          'application/json': {
            /** @description http or https URL the messages are POSTed to */
            url: string;
            /** @description Signs each POST: X-Helpdesk-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>"> */
            secret: string;
          };
        };
      };
      responses: {
        /** @description The secret is never answered back */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Webhook'];
          };
        };
        /** @description Invalid input: field errors {"field": ["..."]}, or {"detail"} for a malformed body */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['FieldErrors'] | components['schemas']['DetailError'];
          };
        };
        /** @description No valid credentials */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
        /** @description Needs an administrator's key */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
        /** @description Not found */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
        /** @description Unsupported media type */
        415: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
        /** @description Too many requests */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
      };
    };
    post?: never;
    /** Remove the delivery webhook: messages become `sent` once stored (administrator) */
    delete: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          /** @description Letters, digits, "_" and "-", at most 64 characters */
          name: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        204: {
          headers: {
            [name: string]: unknown;
          };
          content?: never;
        };
        /** @description Invalid input: field errors {"field": ["..."]}, or {"detail"} for a malformed body */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['FieldErrors'] | components['schemas']['DetailError'];
          };
        };
        /** @description No valid credentials */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
        /** @description Needs an administrator's key */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
        /** @description Not found */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
        /** @description Too many requests */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
      };
    };
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/api/ws-tickets/': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** A short-lived ticket for the organization's socket */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody: {
        content: {
          'application/json': {
            /** @description Letters, digits, "_" and "-", at most 64 characters */
            organization: string;
          };
        };
      };
      responses: {
        /** @description Default Response */
        201: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['WsTicket'];
          };
        };
        /** @description Invalid input: field errors {"field": ["..."]}, or {"detail"} for a malformed body */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['FieldErrors'] | components['schemas']['DetailError'];
          };
        };
        /** @description No valid credentials */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
        /** @description Not found */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
        /** @description Unsupported media type */
        415: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
        /** @description Too many requests */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['DetailError'];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
}
export type webhooks = Record<string, never>;
export interface components {
  schemas: {
    Message: {
      /**
       * @description ISO 8601 with microseconds and UTC offset
       * @example 2021-06-14T22:10:39.551836-03:00
       */
      created_at: string;
      /**
       * @description ISO 8601 with microseconds and UTC offset
       * @example 2021-06-14T22:10:39.551836-03:00
       */
      updated_at: string;
      /** Format: uuid */
      uuid: string;
      message: string;
      /** @description absolute URL of the stored file */
      file: string | null;
      type: 'sent' | 'received';
      status: 'sending' | 'sent' | 'delivered' | 'read' | 'failed';
      /** Format: uuid */
      help_desk: string;
    };
    Client: {
      /** Format: uuid */
      uuid: string;
      /**
       * @description ISO 8601 with microseconds and UTC offset
       * @example 2021-06-14T22:10:39.551836-03:00
       */
      created_at: string;
      /**
       * @description ISO 8601 with microseconds and UTC offset
       * @example 2021-06-14T22:10:39.551836-03:00
       */
      updated_at: string;
      name: string;
      phone: string;
    };
    HelpDesk: {
      /**
       * @description ISO 8601 with microseconds and UTC offset
       * @example 2021-06-14T22:10:39.551836-03:00
       */
      created_at: string;
      /**
       * @description ISO 8601 with microseconds and UTC offset
       * @example 2021-06-14T22:10:39.551836-03:00
       */
      updated_at: string;
      /** Format: uuid */
      uuid: string;
      client: components['schemas']['Client'];
      last_message: components['schemas']['Message'] | (never | null);
      /** @description Ours, after the contract keys: open until closed */
      status?: 'open' | 'closed';
    };
    Organization: {
      /** Format: uuid */
      uuid: string;
      name: string;
      /**
       * @description ISO 8601 with microseconds and UTC offset
       * @example 2021-06-14T22:10:39.551836-03:00
       */
      created_at: string;
      /**
       * @description ISO 8601 with microseconds and UTC offset
       * @example 2021-06-14T22:10:39.551836-03:00
       */
      updated_at: string;
    };
    DetailError: {
      detail: string;
    };
    /** @description Django REST Framework field errors: {"<field>": ["<what is wrong>"]} */
    FieldErrors: {
      [key: string]: string[];
    };
    /** @description An API key, without its secret */
    ApiKey: {
      /** Format: uuid */
      uuid: string;
      name: string;
      /**
       * @description ISO 8601 with microseconds and UTC offset
       * @example 2021-06-14T22:10:39.551836-03:00
       */
      created_at: string;
    };
    CreatedApiKey: {
      /** Format: uuid */
      uuid: string;
      name: string;
      /** @description The secret, shown this once: send it as "Authorization: Bearer <key>" */
      key: string;
      /**
       * @description ISO 8601 with microseconds and UTC offset
       * @example 2021-06-14T22:10:39.551836-03:00
       */
      created_at: string;
    };
    WsTicket: {
      /** @description Present as ?token=<ticket> or in Sec-WebSocket-Protocol */
      token: string;
      /**
       * @description ISO 8601 with microseconds and UTC offset
       * @example 2021-06-14T22:10:39.551836-03:00
       */
      expires_at: string;
    };
    WhoAmI: {
      /** @description An administrator's key, or an organization's */
      kind: 'admin' | 'organization';
      /** @description The organization's name for an organization's key; null for an administrator's */
      organization: string | null;
    };
    /** @description The secret is never answered back */
    Webhook: {
      url: string;
      created_at: string;
      updated_at: string;
    };
  };
  responses: never;
  parameters: never;
  requestBodies: never;
  headers: never;
  pathItems: never;
}
export type $defs = Record<string, never>;
export type operations = Record<string, never>;
