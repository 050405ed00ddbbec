import { describe, expect, it } from 'vitest';
import { createOrganization } from '../../../test/organization.js';
import { ISO_MICROS, useApi } from './api-harness.js';

// CONTRACT.md: timestamps are ISO 8601 with microseconds and the configured zone's offset, as
// Postgres keeps them ("2021-06-14T22:10:39.551836-03:00"). São Paulo has kept -03:00 all year since 2019.

const api = useApi({ TIME_ZONE: 'America/Sao_Paulo' });

/** Every timestamp in a contract object (nested ones too). */
function timestamps(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(timestamps);
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, inner]) =>
    key === 'created_at' || key === 'updated_at' ? [String(inner)] : timestamps(inner),
  );
}

function expectSaoPaulo(stamps: string[], since: number): void {
  expect(stamps.length).toBeGreaterThan(0);
  for (const stamp of stamps) {
    expect(stamp).toMatch(ISO_MICROS);
    expect(stamp.endsWith('-03:00')).toBe(true);
    // The same instant, only written in the zone: within this test's run.
    const instant = Date.parse(stamp);
    expect(instant).toBeGreaterThanOrEqual(since - 1000);
    expect(instant).toBeLessThanOrEqual(Date.now() + 1000);
  }
}

describe('TIME_ZONE=America/Sao_Paulo', () => {
  it('every answer and event carries -03:00 offsets with six fractional digits', async () => {
    const since = Date.now();
    const { app } = api;
    const { name, json: organization, client, helpDesk } = await createOrganization(api, 'sp');
    const sent = await app.inject({
      method: 'POST',
      url: '/api/send-message/',
      payload: { message: 'olá', help_desk: helpDesk.uuid },
    });
    expect(sent.statusCode).toBe(201);
    const history = await app.inject({ url: `/api/help-desks/${helpDesk.uuid}/history/` });
    const list = await app.inject({ url: `/api/help-desks/?organization=${name}` });
    const clients = await app.inject({ url: `/api/clients/?organization=${name}` });
    const organizations = await app.inject({ url: '/api/organizations/' });

    expectSaoPaulo(
      timestamps([organization, client, helpDesk, sent.json(), history.json(), list.json(), clients.json()]),
      since,
    );
    expectSaoPaulo(timestamps(organizations.json()), since);
    // The list's help desk holds client and last_message: 6 timestamps.
    expect(timestamps(list.json())).toHaveLength(6);

    const events = await api.waitForPublished(3);
    const payloads = events.map(([, payload]) => JSON.parse((JSON.parse(payload) as { data: string }).data) as unknown);
    expectSaoPaulo(timestamps(payloads), since);
  });
});
