/**
 * Django REST Framework's error shapes (CONTRACT.md): `{"detail": "…"}`, or for a 400 one list of
 * problems per field, `{"help_desk": ["…"]}`.
 */
export type ErrorBody = { detail: string } | Record<string, string[]>;

/** A REST answer that was not a success: its status and the body the api sent (DRF shape). */
export class ApiError extends Error {
  override readonly name = 'ApiError';

  constructor(
    readonly status: number,
    readonly body: ErrorBody | undefined,
    /** The request's method and path, for the message. */
    readonly request = '',
  ) {
    super(`${request ? `${request}: ` : ''}${status} ${describe(body)}`);
  }

  /** The DRF `detail` text, when the api answered one. */
  get detail(): string | undefined {
    const detail = (this.body as { detail?: unknown } | undefined)?.detail;
    return typeof detail === 'string' ? detail : undefined;
  }

  /** Reads a failed answer's body (JSON when it is, else none) into an ApiError. */
  static async of(response: Response, request = ''): Promise<ApiError> {
    const text = await response.text().catch(() => '');
    let body: ErrorBody | undefined;
    try {
      body = text === '' ? undefined : (JSON.parse(text) as ErrorBody);
    } catch {
      body = { detail: text };
    }
    return new ApiError(response.status, body, request);
  }
}

function describe(body: ErrorBody | undefined): string {
  if (body === undefined) return '(no body)';
  return JSON.stringify(body);
}
