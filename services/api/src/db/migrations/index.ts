import type { Migration } from 'kysely';
import * as initialSchema from './2026-11-25T0800-initial-schema.js';
import * as apiKeys from './2026-11-25T0900-api-keys.js';
import * as outbox from './2026-11-25T1000-outbox.js';
import * as outboxNotify from './2026-11-25T1100-outbox-notify.js';
import * as helpDeskStatus from './2026-11-25T1200-help-desk-status.js';
import * as clientPhone from './2026-11-25T1300-client-phone.js';
import * as webhookDeliveries from './2026-11-25T1400-webhook-deliveries.js';
import * as idempotencyKeys from './2026-11-25T1500-idempotency-keys.js';
import * as idempotencyKeyOwner from './2026-11-25T1600-idempotency-key-owner.js';
import * as helpDeskStatusActivityIndex from './2026-12-05T2300-help-desk-status-activity-index.js';
import * as organizationStorageBytes from './2026-12-06T0200-organization-storage-bytes.js';
import * as outboxNotifyFromReplicas from './2026-12-06T0800-outbox-notify-from-replicas.js';

/**
 * Every migration, by name, in the order they run. A static list (not a folder scan) so the same
 * code runs from src/ under vitest, from dist/, and in a bundled image.
 */
export const MIGRATIONS: Record<string, Migration> = {
  '2026-11-25T0800-initial-schema': initialSchema,
  '2026-11-25T0900-api-keys': apiKeys,
  '2026-11-25T1000-outbox': outbox,
  '2026-11-25T1100-outbox-notify': outboxNotify,
  '2026-11-25T1200-help-desk-status': helpDeskStatus,
  '2026-11-25T1300-client-phone': clientPhone,
  '2026-11-25T1400-webhook-deliveries': webhookDeliveries,
  '2026-11-25T1500-idempotency-keys': idempotencyKeys,
  '2026-11-25T1600-idempotency-key-owner': idempotencyKeyOwner,
  '2026-12-05T2300-help-desk-status-activity-index': helpDeskStatusActivityIndex,
  '2026-12-06T0200-organization-storage-bytes': organizationStorageBytes,
  '2026-12-06T0800-outbox-notify-from-replicas': outboxNotifyFromReplicas,
};
