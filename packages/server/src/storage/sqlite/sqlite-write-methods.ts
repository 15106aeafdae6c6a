import type { SqliteRepos } from './sqlite-repos.js';

/**
 * The Store methods that write. On SQLite they run on the writer thread (sqlite-writer-worker.ts), never on the main
 * thread, whose connection is read-only: a commit (and its fsync) never stops socket work.
 */
export const SQLITE_WRITE_METHODS = [
  'upsertUser',
  'createUserWithLogin',
  'updateProfile',
  'setLastSeen',
  'saveRefreshToken',
  'consumeRefreshToken',
  'deleteRefreshToken',
  'revokeRefreshFamily',
  'createFriendRequest',
  'deleteFriendRequest',
  'addFriendship',
  'removeFriendship',
  'block',
  'unblock',
  'ensureDm',
  'createGroup',
  'updateGroup',
  'addMembers',
  'removeMember',
  'setRole',
  'advanceReadSeq',
  'advanceDeliveredSeq',
  'advancePositions',
  'appendMessages',
  'softDeleteMessage',
  'upsertDevice',
  'revokeDevice',
  'createNotifications',
  'markNotificationsRead',
] as const satisfies readonly (keyof SqliteRepos)[];

export type SqliteWriteMethod = (typeof SQLITE_WRITE_METHODS)[number];

/** One call, as it crosses to the writer thread. */
export interface WriteOp {
  id: number;
  method: SqliteWriteMethod;
  args: unknown[];
}

/** A failure, as it crosses back: an AppError keeps its code. */
export interface WriteFailure {
  code: string | null;
  message: string;
  field?: string;
  retryAfterMs?: number;
}

export type WriteOutcome = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: WriteFailure };
