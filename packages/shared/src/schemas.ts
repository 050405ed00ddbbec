import { Type, type Static } from '@sinclair/typebox';
import { EVENT_TYPES, type EventType } from './events.js';
import { HELP_DESK_STATUSES, MESSAGE_STATUS_UPDATES, MESSAGE_STATUSES, MESSAGE_TYPES } from './objects.js';
import { ORGANIZATION_NAME_PATTERN } from './organizations.js';

// Request and response schemas of the REST API. The api registers them on its routes (validation,
// response serialization, OpenAPI); tests and the bench read them too. Every list of literals comes
// from the one definition in objects.ts / events.ts.

const Timestamp = Type.String({
  description: 'ISO 8601 with microseconds and UTC offset',
  examples: ['2021-06-14T22:10:39.551836-03:00'],
});
const Uuid = Type.String({ format: 'uuid' });

export const OrganizationName = Type.String({
  pattern: ORGANIZATION_NAME_PATTERN,
  description: 'Letters, digits, "_" and "-", at most 64 characters',
});

export const MessageSchema = Type.Object(
  {
    created_at: Timestamp,
    updated_at: Timestamp,
    uuid: Uuid,
    message: Type.String(),
    file: Type.Union([Type.String({ description: 'absolute URL of the stored file' }), Type.Null()]),
    type: Type.Union(MESSAGE_TYPES.map((t) => Type.Literal(t))),
    status: Type.Union(MESSAGE_STATUSES.map((s) => Type.Literal(s))),
    help_desk: Uuid,
  },
  { $id: 'Message' },
);

export const ClientSchema = Type.Object(
  {
    uuid: Uuid,
    created_at: Timestamp,
    updated_at: Timestamp,
    name: Type.String(),
    phone: Type.String(),
  },
  { $id: 'Client' },
);

export const HelpDeskSchema = Type.Object(
  {
    created_at: Timestamp,
    updated_at: Timestamp,
    uuid: Uuid,
    client: Type.Ref(ClientSchema),
    last_message: Type.Union([Type.Ref(MessageSchema), Type.Null()]),
    status: Type.Optional(
      Type.Union(
        HELP_DESK_STATUSES.map((s) => Type.Literal(s)),
        { description: 'Ours, after the contract keys: open until closed' },
      ),
    ),
  },
  { $id: 'HelpDesk' },
);

export const OrganizationSchema = Type.Object(
  {
    uuid: Uuid,
    name: Type.String(),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { $id: 'Organization' },
);

export const DetailErrorSchema = Type.Object({ detail: Type.String() }, { $id: 'DetailError' });
export const FieldErrorsSchema = Type.Record(Type.String(), Type.Array(Type.String()), {
  $id: 'FieldErrors',
  description: 'Django REST Framework field errors: {"<field>": ["<what is wrong>"]}',
});

// ---- requests ----

export const OrganizationQuery = Type.Object({ organization: OrganizationName });
export type OrganizationQuery = Static<typeof OrganizationQuery>;

export const UuidParams = Type.Object({ uuid: Uuid });
export type UuidParams = Static<typeof UuidParams>;

export const CreateOrganizationBody = Type.Object({ name: OrganizationName }, { additionalProperties: false });
export type CreateOrganizationBody = Static<typeof CreateOrganizationBody>;

/** A client's name and phone, as created by POST /api/clients/ or by an inbound message. */
export const ClientName = Type.String({ minLength: 1, maxLength: 255 });
export const ClientPhone = Type.String({ minLength: 1, maxLength: 32 });

export const CreateClientBody = Type.Object(
  { organization: OrganizationName, name: ClientName, phone: ClientPhone },
  { additionalProperties: false },
);
export type CreateClientBody = Static<typeof CreateClientBody>;

export const CreateHelpDeskBody = Type.Object(
  { organization: OrganizationName, client: Uuid },
  { additionalProperties: false },
);
export type CreateHelpDeskBody = Static<typeof CreateHelpDeskBody>;

/**
 * The text fields of POST /api/send-message/ (JSON, form-urlencoded or multipart). `file` is only
 * ever a multipart file part. The message length limit is configured in the api and checked there.
 */
export const SendMessageFields = Type.Object({
  message: Type.Optional(Type.String()),
  help_desk: Uuid,
  // Kept (not stripped as unknown) so a `file` that is not an uploaded file is refused as DRF does.
  file: Type.Optional(
    Type.Unknown({ description: 'Only as a multipart file part; null or empty elsewhere means no file' }),
  ),
});
export type SendMessageFields = Static<typeof SendMessageFields>;

const ReceiveMessageOrganization = Type.Optional(
  Type.Unsafe<string>({ ...OrganizationName, description: "Needed with an administrator's key; else the key's own" }),
);

/** POST /api/receive-message/ (ours) as JSON: what a channel provider posts when a client writes. */
export const ReceiveMessageFields = Type.Object({
  organization: ReceiveMessageOrganization,
  client: Type.Object({ name: ClientName, phone: ClientPhone }),
  message: Type.Optional(Type.String()),
});
export type ReceiveMessageFields = Static<typeof ReceiveMessageFields>;

/** The same as a form: the client's fields named by their path, as errors name them. */
export const ReceiveMessageForm = Type.Object({
  organization: ReceiveMessageOrganization,
  'client.name': ClientName,
  'client.phone': ClientPhone,
  message: Type.Optional(Type.String()),
});

/** PATCH /api/messages/<uuid>/ (ours): a status callback. */
export const MessageStatusBody = Type.Object(
  { status: Type.Union(MESSAGE_STATUS_UPDATES.map((s) => Type.Literal(s))) },
  { additionalProperties: false },
);
export type MessageStatusBody = Static<typeof MessageStatusBody>;

/** PATCH /api/help-desks/<uuid>/ (ours): open or close a help desk. */
export const HelpDeskStatusBody = Type.Object(
  { status: Type.Union(HELP_DESK_STATUSES.map((s) => Type.Literal(s))) },
  { additionalProperties: false },
);
export type HelpDeskStatusBody = Static<typeof HelpDeskStatusBody>;

export const EVENT_TYPE_SCHEMA = Type.Union(EVENT_TYPES.map((t) => Type.Literal<EventType>(t)));

// ---- keys and socket tickets (ours) ----

export const ApiKeySchema = Type.Object(
  { uuid: Uuid, name: Type.String(), created_at: Timestamp },
  { $id: 'ApiKey', description: 'An API key, without its secret' },
);

export const CreatedApiKeySchema = Type.Object(
  {
    uuid: Uuid,
    name: Type.String(),
    key: Type.String({ description: 'The secret, shown this once: send it as "Authorization: Bearer <key>"' }),
    created_at: Timestamp,
  },
  { $id: 'CreatedApiKey' },
);

export const WsTicketSchema = Type.Object(
  {
    token: Type.String({ description: 'Present as ?token=<ticket> or in Sec-WebSocket-Protocol' }),
    expires_at: Timestamp,
  },
  { $id: 'WsTicket' },
);

/** GET /api/whoami/ (ours): whom the request's key belongs to, so an app knows what it may offer. */
export const WhoAmISchema = Type.Object(
  {
    kind: Type.Union([Type.Literal('admin'), Type.Literal('organization')], {
      description: "An administrator's key, or an organization's",
    }),
    organization: Type.Union([Type.String(), Type.Null()], {
      description: "The organization's name for an organization's key; null for an administrator's",
    }),
  },
  { $id: 'WhoAmI' },
);
export type WhoAmI = Static<typeof WhoAmISchema>;

export const CreateApiKeyBody = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 100 }) },
  { additionalProperties: false },
);
export type CreateApiKeyBody = Static<typeof CreateApiKeyBody>;

export const CreateWsTicketBody = Type.Object({ organization: OrganizationName }, { additionalProperties: false });
export type CreateWsTicketBody = Static<typeof CreateWsTicketBody>;

// ---- webhooks (ours) ----

export const SetWebhookBody = Type.Object(
  {
    url: Type.String({ maxLength: 2048, description: 'http or https URL the messages are POSTed to' }),
    secret: Type.String({
      minLength: 16,
      maxLength: 256,
      description: 'Signs each POST: X-Helpdesk-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">',
    }),
  },
  { additionalProperties: false },
);
export type SetWebhookBody = Static<typeof SetWebhookBody>;

export const WebhookSchema = Type.Object(
  { url: Type.String(), created_at: Type.String(), updated_at: Type.String() },
  { $id: 'Webhook', description: 'The secret is never answered back' },
);

/** What an organization's webhook receives for each message sent: whom to deliver it to, and what. */
export const WebhookDeliveryBody = Type.Object({
  organization: Type.String(),
  client: ClientSchema,
  message: MessageSchema,
});
export type WebhookDeliveryBody = Static<typeof WebhookDeliveryBody>;

export const OrganizationParams = Type.Object({ name: OrganizationName });
export type OrganizationParams = Static<typeof OrganizationParams>;

/** Schemas referenced by `$ref` from route schemas; the api adds them once with `addSchema`. */
export const SHARED_SCHEMAS = [
  MessageSchema,
  ClientSchema,
  HelpDeskSchema,
  OrganizationSchema,
  DetailErrorSchema,
  FieldErrorsSchema,
  ApiKeySchema,
  CreatedApiKeySchema,
  WsTicketSchema,
  WhoAmISchema,
];
