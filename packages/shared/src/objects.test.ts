import type { Static } from '@sinclair/typebox';
import { describe, expectTypeOf, it } from 'vitest';
import type { ClientJson, HelpDeskJson, MessageJson, OrganizationJson } from './objects.js';
import type { ClientSchema, HelpDeskSchema, MessageSchema, OrganizationSchema } from './schemas.js';

// The typecheck (pnpm typecheck) fails here when a written-out JSON type drifts from its schema.
describe('contract JSON types', () => {
  it('are exactly what the schemas describe', () => {
    expectTypeOf<MessageJson>().toEqualTypeOf<Static<typeof MessageSchema>>();
    expectTypeOf<ClientJson>().toEqualTypeOf<Static<typeof ClientSchema>>();
    expectTypeOf<HelpDeskJson>().toEqualTypeOf<Static<typeof HelpDeskSchema>>();
    expectTypeOf<OrganizationJson>().toEqualTypeOf<Static<typeof OrganizationSchema>>();
  });
});
