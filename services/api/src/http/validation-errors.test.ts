import { Type, type TSchema } from '@sinclair/typebox';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { CreateClientBody, CreateOrganizationBody, OrganizationQuery, SendMessageFields } from '@helpdesk/shared';
import { addApiFormats, AJV_OPTIONS } from './ajv-options.js';
import { nullCharacterErrors, toFieldErrors } from './validation-errors.js';

// The schema → DRF error mapping, with the api's own Ajv setup and the shared request schemas.
const ajv = new Ajv(AJV_OPTIONS);
addApiFormats(ajv);

function errorsFor(schema: TSchema, data: unknown) {
  const validate = ajv.compile(schema);
  expect(validate(data)).toBe(false);
  return toFieldErrors(validate.errors ?? []);
}

const UUID = '9b1e7c4a-3f0d-4c1e-8a51-3f1f3c2d9e77';

describe('toFieldErrors (DRF wording)', () => {
  it('required fields, all at once', () => {
    expect(errorsFor(CreateClientBody, {})).toEqual({
      organization: ['This field is required.'],
      name: ['This field is required.'],
      phone: ['This field is required.'],
    });
  });

  it('uuid fields: malformed, urn-prefixed, or not a string at all', () => {
    for (const value of [
      'nope',
      `urn:uuid:${UUID}`,
      `{${UUID}}`,
      UUID.replaceAll('-', ''),
      7,
      true,
      [UUID],
      { uuid: UUID },
    ]) {
      expect(errorsFor(SendMessageFields, { help_desk: value })).toEqual({ help_desk: ['Must be a valid UUID.'] });
    }
    expect(ajv.validate(SendMessageFields, { help_desk: UUID.toUpperCase() })).toBe(true);
  });

  it('null is "may not be null", other wrong types "Not a valid string."', () => {
    expect(errorsFor(SendMessageFields, { help_desk: null, message: null })).toEqual({
      help_desk: ['This field may not be null.'],
      message: ['This field may not be null.'],
    });
    for (const value of [5, 1.5, false, ['a'], { a: 1 }]) {
      expect(errorsFor(SendMessageFields, { help_desk: UUID, message: value })).toEqual({
        message: ['Not a valid string.'],
      });
    }
  });

  it('a body that is not an object: non_field_errors with the Python type name', () => {
    expect(errorsFor(SendMessageFields, null)).toEqual({ non_field_errors: ['No data provided'] });
    const cases: Array<[unknown, string]> = [
      [[], 'list'],
      ['x', 'str'],
      [1, 'int'],
      [1.25, 'float'],
      [false, 'bool'],
    ];
    for (const [data, type] of cases) {
      expect(errorsFor(SendMessageFields, data)).toEqual({
        non_field_errors: [`Invalid data. Expected a dictionary, but got ${type}.`],
      });
    }
  });

  it('lengths', () => {
    expect(errorsFor(CreateClientBody, { organization: 'acme', name: '', phone: 'x'.repeat(33) })).toEqual({
      name: ['This field may not be blank.'],
      phone: ['Ensure this field has no more than 32 characters.'],
    });
    expect(errorsFor(Type.Object({ code: Type.String({ minLength: 3 }) }), { code: 'ab' })).toEqual({
      code: ['Ensure this field has at least 3 characters.'],
    });
  });

  it('organization names read as a DRF SlugField(max_length=64)', () => {
    const slug = 'Enter a valid "slug" consisting of letters, numbers, underscores or hyphens.';
    expect(errorsFor(OrganizationQuery, { organization: 'a b' })).toEqual({ organization: [slug] });
    expect(errorsFor(OrganizationQuery, { organization: 'ação' })).toEqual({ organization: [slug] });
    expect(errorsFor(OrganizationQuery, { organization: '' })).toEqual({
      organization: ['This field may not be blank.'],
    });
    expect(errorsFor(CreateOrganizationBody, { name: 'a'.repeat(65) })).toEqual({
      name: ['Ensure this field has no more than 64 characters.'],
    });
    expect(ajv.validate(OrganizationQuery, { organization: 'a'.repeat(64) })).toBe(true);
  });

  it('other patterns and choices', () => {
    expect(errorsFor(Type.Object({ code: Type.String({ pattern: '^[0-9]+$' }) }), { code: 'x' })).toEqual({
      code: ['This value does not match the required pattern.'],
    });
    const status = Type.Object({ status: Type.Union([Type.Literal('sent'), Type.Literal('read')]) });
    expect(errorsFor(status, { status: 'lost' }).status).toContain('"lost" is not a valid choice.');
  });
});

describe('nullCharacterErrors', () => {
  it('names each top-level text field holding a NUL', () => {
    expect(nullCharacterErrors({ name: 'a\u0000', phone: '1', count: 1 })).toEqual({
      name: ['Null characters are not allowed.'],
    });
    expect(nullCharacterErrors({ name: 'ok' })).toBeUndefined();
    expect(nullCharacterErrors(undefined)).toBeUndefined();
    expect(nullCharacterErrors(['\u0000'])).toBeUndefined();
  });
});
