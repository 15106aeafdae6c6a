/** A REST refusal: the HTTP status and the stable error code from the body. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The session is over (refresh token refused, device revoked, signed out): the user must sign in again. */
export class SessionEnded extends Error {
  constructor(message = 'Your session has ended; sign in again') {
    super(message);
    this.name = 'SessionEnded';
  }
}

/** A message for people, from whatever was thrown. */
export function describeError(err: unknown): string {
  if (err instanceof ApiError || err instanceof SessionEnded) return err.message;
  if (err instanceof TypeError) return 'Cannot reach the server. Check your connection and try again.';
  if (err instanceof Error) return err.message;
  return String(err);
}

export async function parseResponse<T>(res: Response): Promise<T> {
  if (res.status === 204) return undefined as T;
  const body = (await res.json().catch(() => null)) as {
    error?: { code?: string; message?: string; field?: string };
  } | null;
  if (!res.ok) {
    const e = body?.error;
    throw new ApiError(res.status, e?.code ?? `HTTP_${res.status}`, e?.message ?? res.statusText, e?.field);
  }
  return body as T;
}
