// What a use case refuses, in its own words; http/error-handler.ts answers each in DRF's shape.
// Services throw these and never HTTP errors, so they stay callable from anything (a worker, a CLI).

/** What was named does not exist, or belongs to another organization (the two look the same). */
export class NotFoundError extends Error {
  constructor(what = 'not found') {
    super(what);
    this.name = 'NotFoundError';
  }
}

/** One field of the input is wrong: answered as `{"<field>": ["<message>"]}`. */
export class InvalidFieldError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'InvalidFieldError';
  }
}

/**
 * Why an `Idempotency-Key` request cannot run: a key that is not one, a first request still
 * running, a key used before for another request, or a claim a retry took over meanwhile.
 */
export type IdempotencyRefusal = 'invalid-key' | 'in-progress' | 'reused' | 'taken-over';

export class IdempotencyError extends Error {
  constructor(
    readonly refusal: IdempotencyRefusal,
    message: string,
  ) {
    super(message);
    this.name = 'IdempotencyError';
  }
}

/** A file would take its organization's stored bytes past MAX_STORAGE_BYTES_PER_ORGANIZATION. */
export class StorageQuotaError extends Error {
  constructor(readonly quotaBytes: number) {
    super(`This organization's files would exceed its storage quota of ${quotaBytes} bytes.`);
    this.name = 'StorageQuotaError';
  }
}
