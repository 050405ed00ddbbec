// Django REST Framework's error shapes, which the old clients parse (CONTRACT.md).

/** `{"detail": "..."}` — any error that is not about one field. */
export interface DetailError {
  detail: string;
}

/** `{"<field>": ["<what is wrong>", ...]}` — 400 for invalid input. */
export type FieldErrors = Record<string, string[]>;

export function detailError(detail: string): DetailError {
  return { detail };
}

export const ERROR_MESSAGES = {
  required: 'This field is required.',
  blank: 'This field may not be blank.',
  invalidUuid: 'Must be a valid UUID.',
  notFound: 'Not found.',
  doesNotExist: (pk: string) => `Invalid pk "${pk}" - object does not exist.`,
  methodNotAllowed: (method: string) => `Method "${method}" not allowed.`,
  unsupportedMediaType: (type: string) => `Unsupported media type "${type}" in request.`,
} as const;
