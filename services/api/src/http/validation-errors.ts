import { ERROR_MESSAGES, type FieldErrors } from '@helpdesk/shared';

/** The parts of an Ajv error that the messages below read. */
export interface SchemaError {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message?: string | undefined;
}

/**
 * Turns schema validation errors into DRF field errors: `{"help_desk": ["Must be a valid UUID."]}`.
 * Messages follow DRF's wording, which old clients may show to people.
 */
export function toFieldErrors(errors: readonly SchemaError[]): FieldErrors {
  const fields: FieldErrors = {};
  for (const error of errors) {
    const field =
      error.keyword === 'required'
        ? String(error.params.missingProperty)
        : error.instancePath.replace(/^\//, '').split('/')[0] || 'non_field_errors';
    const message = messageFor(error);
    const list = (fields[field] ??= []);
    if (!list.includes(message)) list.push(message);
  }
  return fields;
}

function messageFor(error: SchemaError): string {
  switch (error.keyword) {
    case 'required':
      return ERROR_MESSAGES.required;
    case 'format':
      return error.params.format === 'uuid' ? ERROR_MESSAGES.invalidUuid : `Enter a valid ${String(error.params.format)}.`;
    case 'minLength':
      return error.params.limit === 1
        ? ERROR_MESSAGES.blank
        : `Ensure this field has at least ${String(error.params.limit)} characters.`;
    case 'maxLength':
      return `Ensure this field has no more than ${String(error.params.limit)} characters.`;
    case 'pattern':
      return 'Enter a valid value: letters, digits, "_" and "-", at most 64 characters.';
    case 'type':
      return error.params.type === 'string' ? 'Not a valid string.' : `Must be of type ${String(error.params.type)}.`;
    case 'enum':
    case 'const':
    case 'anyOf':
      return 'Not a valid choice.';
    default:
      return error.message ? `${error.message[0]?.toUpperCase() ?? ''}${error.message.slice(1)}.` : 'Invalid value.';
  }
}
