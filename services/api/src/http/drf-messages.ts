import { ERROR_MESSAGES } from '@helpdesk/shared';

/**
 * Django REST Framework's wording for every error the api answers, so old clients that show these
 * texts to people keep showing the same ones. Extends the shared list with the ones only the api
 * needs (rest_framework/fields.py, serializers.py, parsers.py, validators.py).
 */
export const DRF_MESSAGES = {
  ...ERROR_MESSAGES,
  null: 'This field may not be null.',
  noData: 'No data provided',
  notADictionary: (pythonType: string) => `Invalid data. Expected a dictionary, but got ${pythonType}.`,
  invalidString: 'Not a valid string.',
  invalidInteger: 'A valid integer is required.',
  invalidNumber: 'A valid number is required.',
  invalidBoolean: 'Must be a valid boolean.',
  notAList: (pythonType: string) => `Expected a list of items but got type "${pythonType}".`,
  notADict: (pythonType: string) => `Expected a dictionary of items but got type "${pythonType}".`,
  nullCharacters: 'Null characters are not allowed.',
  maxLength: (limit: number) => `Ensure this field has no more than ${limit} characters.`,
  minLength: (limit: number) => `Ensure this field has at least ${limit} characters.`,
  maxValue: (limit: number) => `Ensure this value is less than or equal to ${limit}.`,
  minValue: (limit: number) => `Ensure this value is greater than or equal to ${limit}.`,
  slug: 'Enter a valid "slug" consisting of letters, numbers, underscores or hyphens.',
  pattern: 'This value does not match the required pattern.',
  invalidChoice: (input: string) => `"${input}" is not a valid choice.`,
  invalid: 'Invalid value.',
  emptyFile: 'The submitted file is empty.',
  notAFile: 'The submitted data was not a file. Check the encoding type on the form.',
  unique: (model: string, field: string) => `${model} with this ${field} already exists.`,
  jsonParseError: (reason: string) => `JSON parse error - ${reason}`,
  multipartParseError: (reason: string) => `Multipart form parse error - ${reason}`,
  malformedRequest: 'Malformed request.',
} as const;

/** The Python type name DRF prints for a JSON value (`type(data).__name__`). */
export function pythonTypeName(value: unknown): string {
  if (value === null) return 'NoneType';
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'string') return 'str';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  if (typeof value === 'object') return 'dict';
  return typeof value;
}
