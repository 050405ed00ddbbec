import { equalJitterBackoffMs } from '../background/backoff.js';
import { CoalescingRunner, type RoundOutcome } from '../background/coalescing-runner.js';
import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
import { serializeClient, serializeMessage, type MessageStatus, type WebhookDeliveryBody } from '@helpdesk/shared';
import { findMessage, updateMessageStatus } from '../db/message.repository.js';
import { enqueueEvents } from '../db/outbox.repository.js';
import type { DB } from '../db/tables.js';
import {
  claimDueDeliveries,
  deleteDelivery,
  deliveryContent,
  rescheduleDelivery,
  type ClaimedDelivery,
  type DeliveryContent,
} from '../db/webhook.repository.js';
import type { OutboxRelay } from '../events/outbox-relay.js';
import { canMoveMessage } from '../lifecycle/statuses.js';
import { Agent, request } from 'undici';
import { literalRefusal, publicAddressLookup } from './outbound-address.js';
import { signatureHeader, SIGNATURE_HEADER } from './webhook-signature.js';

// Outbound delivery (issue 4, item 4). A `sent` message of an organization with a webhook is
// stored `sending` with a row in webhook_deliveries; this worker POSTs it, signed, and settles it:
// `sent` on a 2xx, `failed` after the last attempt, each an update_message through the outbox.
// Between attempts: exponential backoff with equal jitter (background/backoff.ts). The work lives in
// Postgres, so it survives restarts, and any replica may do it (claims skip rows another replica holds).

export interface WebhookWorkerOptions {
  db: Kysely<DB>;
  relay: OutboxRelay;
  log: FastifyBaseLogger;
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  timeoutMs: number;
  pollIntervalMs: number;
  /** Deliveries claimed (and posted concurrently) per round. */
  batchSize: number;
  /** POST to loopback, link-local and private addresses too (WEBHOOK_ALLOW_PRIVATE); otherwise refused. */
  allowPrivateAddresses: boolean;
}

type Outcome = { ok: true } | { ok: false; error: string };

export class WebhookWorker {
  private readonly runner = new CoalescingRunner(() => this.deliverDue());
  private timer: NodeJS.Timeout | undefined;
  /** Set by close(): an aborted POST is then not a failed attempt. */
  private closed = false;
  private readonly inFlight = new Set<AbortController>();
  /**
   * Connections to receivers. Unless private addresses are allowed, every connection it opens
   * resolves its host through publicAddressLookup: the address checked is the address connected
   * to, whatever the name resolved to when the webhook was set (DNS rebinding).
   */
  private readonly agent: Agent;

  constructor(private readonly options: WebhookWorkerOptions) {
    this.agent = new Agent(options.allowPrivateAddresses ? {} : { connect: { lookup: publicAddressLookup } });
  }

  start(): void {
    this.timer = setInterval(() => this.nudge(), this.options.pollIntervalMs);
    this.timer.unref();
    this.nudge();
  }

  /** A delivery was committed (or one may be due): run a round soon. */
  nudge(): void {
    void this.runner.run();
  }

  /** Runs rounds until nothing is due; resolves when done (failures are logged, not thrown). */
  drain(): Promise<void> {
    return this.runner.run();
  }

  /** Stops claiming; POSTs in flight are aborted and their deliveries come due again later. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    const last = this.runner.stop();
    for (const controller of this.inFlight) controller.abort();
    await last;
    await this.agent.close();
  }

  /** Claims and delivers what is due; a full batch means more may be due. */
  private async deliverDue(): Promise<RoundOutcome> {
    try {
      // The lease covers the POST's timeout and settling it afterwards.
      const claimed = await claimDueDeliveries(
        this.options.db,
        this.options.batchSize,
        this.options.timeoutMs + 30_000,
      );
      await Promise.all(claimed.map((delivery) => this.deliver(delivery)));
      return claimed.length === this.options.batchSize ? 'more' : 'done';
    } catch (error) {
      this.options.log.error({ err: error }, 'webhook deliveries: round failed');
      return 'failed';
    }
  }

  private async deliver(delivery: ClaimedDelivery): Promise<void> {
    const { db, log } = this.options;
    const content = await deliveryContent(db, delivery.id);
    if (!content) return;
    let outcome: Outcome;
    if (content.webhook === undefined) {
      // The webhook was removed since: the message is sent as it would be without one.
      outcome = { ok: true };
    } else {
      const body: WebhookDeliveryBody = {
        organization: content.organizationName,
        client: serializeClient(content.client),
        message: serializeMessage(content.message, content.fileBaseUrl),
      };
      outcome = await this.post(content.webhook, JSON.stringify(body), content.message.uuid);
    }
    if (this.closed && !outcome.ok) return;
    if (outcome.ok) {
      await this.settle(delivery, content, 'sent');
      return;
    }
    if (delivery.attempt >= this.options.maxAttempts) {
      log.warn(
        { message: content.message.uuid, attempts: delivery.attempt, error: outcome.error },
        'webhook delivery failed',
      );
      await this.settle(delivery, content, 'failed');
      return;
    }
    const delay = this.retryDelay(delivery.attempt);
    log.info(
      { message: content.message.uuid, attempt: delivery.attempt, retryInMs: delay, error: outcome.error },
      'webhook delivery will be retried',
    );
    await rescheduleDelivery(db, delivery.id, delay, outcome.error);
  }

  private async post(webhook: { url: string; secret: string }, body: string, messageUuid: string): Promise<Outcome> {
    if (!this.options.allowPrivateAddresses) {
      // An IP literal is connected to without a lookup, so publicAddressLookup never sees it.
      const refused = literalRefusal(new URL(webhook.url));
      if (refused !== undefined) return { ok: false, error: refused };
    }
    const controller = new AbortController();
    this.inFlight.add(controller);
    const timer = setTimeout(
      () => controller.abort(new Error(`no answer in ${this.options.timeoutMs} ms`)),
      this.options.timeoutMs,
    );
    try {
      // undici's request follows no redirect: a 3xx is an answer like any other (not a 2xx).
      const res = await request(webhook.url, {
        method: 'POST',
        dispatcher: this.agent,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'helpdesk-chat-webhook',
          // The same message may be posted more than once (a retry after a lost answer): receivers
          // deduplicate by it.
          'x-helpdesk-message': messageUuid,
          [SIGNATURE_HEADER]: signatureHeader(webhook.secret, body, Math.floor(Date.now() / 1000)),
        },
        body,
        signal: controller.signal,
      });
      await res.body.dump();
      return res.statusCode >= 200 && res.statusCode < 300
        ? { ok: true }
        : { ok: false, error: `HTTP ${res.statusCode}` };
    } catch (error) {
      const reason = controller.signal.reason instanceof Error ? controller.signal.reason : error;
      return { ok: false, error: reason instanceof Error ? reason.message : String(reason) };
    } finally {
      clearTimeout(timer);
      this.inFlight.delete(controller);
    }
  }

  /** Moves the message to `to` if it may still go there, with its event, and drops the delivery. */
  private async settle(delivery: ClaimedDelivery, content: DeliveryContent, to: MessageStatus): Promise<void> {
    const { db, relay } = this.options;
    let moved = false;
    await db.transaction().execute(async (trx) => {
      await deleteDelivery(trx, delivery.id);
      const message = await findMessage(trx, content.message.uuid, true);
      // A status callback may have moved it on meanwhile (delivered, read): never move back.
      if (!message || !canMoveMessage(message.status, to)) return;
      const updated = await updateMessageStatus(trx, message.id, message.helpDeskUuid, to);
      await enqueueEvents(trx, { id: message.organizationId, name: message.organizationName }, [
        { type: 'update_message', payload: serializeMessage(updated, content.fileBaseUrl) },
      ]);
      moved = true;
    });
    if (moved) relay.committed();
  }

  private retryDelay(attempt: number): number {
    return equalJitterBackoffMs(attempt - 1, this.options.retryBaseMs, this.options.retryMaxMs);
  }
}
