/**
 * The one registry of stable error codes. Every refusal, over REST or WebSocket, carries one of these.
 * `retryable: true` means the same request may succeed later unchanged (a client should retry with backoff,
 * keeping the same client_msg_id so a retry can never duplicate a message).
 */
export const ERROR_CODES = {
  INVALID_JSON: { status: 400, retryable: false, message: 'The frame or body is not valid JSON' },
  INVALID_FRAME: { status: 400, retryable: false, message: 'The frame is not a JSON object with a string "type"' },
  UNKNOWN_TYPE: { status: 400, retryable: false, message: 'The frame type is not part of the protocol' },
  VALIDATION_FAILED: { status: 400, retryable: false, message: 'A field is missing or has the wrong type or value' },
  WEAK_PASSWORD: {
    status: 400,
    retryable: false,
    message: 'The password is too easy to guess; choose a longer one, or one of several uncommon words',
  },
  MESSAGE_TOO_LONG: { status: 413, retryable: false, message: 'The message text is longer than the configured limit' },
  PAYLOAD_TOO_LARGE: {
    status: 413,
    retryable: false,
    message: 'The frame or body is larger than the configured limit',
  },
  AUTH_REQUIRED: { status: 401, retryable: false, message: 'No token was presented' },
  TOKEN_INVALID: { status: 401, retryable: false, message: 'The token is malformed, forged or for another audience' },
  TOKEN_EXPIRED: { status: 401, retryable: false, message: 'The token has expired; obtain a new one' },
  BAD_CREDENTIALS: { status: 401, retryable: false, message: 'Wrong username or password' },
  ALREADY_AUTHENTICATED: { status: 400, retryable: false, message: 'This connection is authenticated as another user' },
  FORBIDDEN: { status: 403, retryable: false, message: 'You are not allowed to do this' },
  NOT_MEMBER: { status: 403, retryable: false, message: 'You are not a member of this conversation' },
  BLOCKED: { status: 403, retryable: false, message: 'One of the two users has blocked the other' },
  NOT_FRIENDS: { status: 403, retryable: false, message: 'Direct messages are allowed only between friends here' },
  REGISTRATION_CLOSED: { status: 403, retryable: false, message: 'Self-registration is disabled on this server' },
  DEVICE_REVOKED: { status: 403, retryable: false, message: 'This device was revoked; sign in again on it' },
  NOT_FOUND: { status: 404, retryable: false, message: 'No such resource' },
  CONFLICT: { status: 409, retryable: false, message: 'The resource already exists or is in a conflicting state' },
  RATE_LIMITED: { status: 429, retryable: true, message: 'Too many requests; retry after retry_after_ms' },
  TOO_MANY_CONNECTIONS: {
    status: 429,
    retryable: true,
    message: 'Too many connections from this address or for this account; close some or retry later',
  },
  TOO_MANY_DEVICES: {
    status: 409,
    retryable: false,
    message: 'This account has too many devices; revoke one before adding another',
  },
  OVERLOADED: {
    status: 503,
    retryable: true,
    message: 'The server is busy with this kind of request (e.g. checking passwords); retry after retry_after_ms',
  },
  UNAVAILABLE: { status: 503, retryable: true, message: 'The server is draining or its store is unreachable; retry' },
  INTERNAL: { status: 500, retryable: true, message: 'Unexpected server error; retry' },
} as const satisfies Record<string, { status: number; retryable: boolean; message: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}

/** The error body of every REST refusal and the payload of every `error` frame. */
export interface ErrorBody {
  code: ErrorCode;
  message: string;
  retryable: boolean;
  /** For RATE_LIMITED: how long to wait before retrying. */
  retry_after_ms?: number;
  /** For VALIDATION_FAILED: the offending field. */
  field?: string;
}
