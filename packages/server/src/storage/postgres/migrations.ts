/**
 * PostgreSQL schema, one entry per version, the same versions as the SQLite schema (storage/sqlite/migrations.ts):
 * version N means the same tables and columns in both. Applied in order, each in its own transaction, under an
 * advisory lock so that nodes starting together apply each version once. Never edit a released entry: add one.
 * Times are epoch milliseconds (bigint); ids and seqs are bigint.
 */
export const POSTGRES_MIGRATIONS: readonly string[] = [
  /* 1: users, social graph, conversations, messages */ `
  CREATE TABLE users (
    id TEXT PRIMARY KEY,
    username TEXT,
    display_name TEXT NOT NULL,
    avatar_url TEXT,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT
  );
  CREATE TABLE logins (
    username TEXT NOT NULL,
    user_id TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL
  );
  CREATE UNIQUE INDEX logins_username_ci ON logins (lower(username));
  CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    expires_at BIGINT NOT NULL
  );
  CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);
  CREATE TABLE friend_requests (
    from_id TEXT NOT NULL,
    to_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (from_id, to_id)
  );
  CREATE INDEX friend_requests_to ON friend_requests (to_id);
  CREATE TABLE friendships (
    user_id TEXT NOT NULL,
    friend_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, friend_id)
  );
  CREATE TABLE blocks (
    blocker_id TEXT NOT NULL,
    blocked_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (blocker_id, blocked_id)
  );
  CREATE INDEX blocks_blocked ON blocks (blocked_id);
  CREATE SEQUENCE group_ids AS BIGINT;
  CREATE TABLE conversations (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('dm', 'group')),
    group_id BIGINT UNIQUE,
    name TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    avatar_url TEXT,
    visibility TEXT NOT NULL DEFAULT 'private',
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_seq BIGINT NOT NULL DEFAULT 0,
    last_message_at BIGINT
  );
  CREATE TABLE conversation_members (
    conversation_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    role TEXT NOT NULL DEFAULT 'member',
    joined_at BIGINT NOT NULL,
    read_seq BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (conversation_id, user_id)
  );
  CREATE INDEX members_user ON conversation_members (user_id);
  CREATE TABLE messages (
    id BIGSERIAL PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    sender_id TEXT NOT NULL,
    client_msg_id TEXT,
    kind TEXT NOT NULL,
    text TEXT NOT NULL,
    metadata TEXT,
    reply_to BIGINT,
    created_at BIGINT NOT NULL
  );
  CREATE UNIQUE INDEX messages_conversation_seq ON messages (conversation_id, seq);
  CREATE UNIQUE INDEX messages_sender_client_id ON messages (sender_id, client_msg_id) WHERE client_msg_id IS NOT NULL;
  `,
  /* 2: delivery receipts, read-receipt setting, device registry, notification inbox */ `
  ALTER TABLE conversation_members ADD COLUMN delivered_seq BIGINT NOT NULL DEFAULT 0;
  UPDATE conversation_members SET delivered_seq = read_seq;
  ALTER TABLE users ADD COLUMN read_receipts BOOLEAN NOT NULL DEFAULT TRUE;
  ALTER TABLE refresh_tokens ADD COLUMN device_id TEXT;
  CREATE TABLE devices (
    user_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    name TEXT,
    type TEXT NOT NULL DEFAULT 'other',
    platform TEXT,
    app_version TEXT,
    push_token TEXT,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    revoked_at BIGINT,
    PRIMARY KEY (user_id, device_id)
  );
  CREATE TABLE notifications (
    id BIGSERIAL PRIMARY KEY,
    user_id TEXT NOT NULL,
    type TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    data TEXT,
    link TEXT,
    created_at BIGINT NOT NULL,
    read_at BIGINT
  );
  CREATE INDEX notifications_user ON notifications (user_id, id);
  CREATE INDEX notifications_unread ON notifications (user_id) WHERE read_at IS NULL;
  `,
  /* 3: soft delete: a deleted message keeps its row and seq; its content is withheld from readers */ `
  ALTER TABLE messages ADD COLUMN deleted_at BIGINT;
  `,
  /* 4: unread counts without counting rows (last_seq - read_seq - deleted after it); see ConversationRepo.unreadCount */ `
  CREATE INDEX messages_deleted ON messages (conversation_id, seq) WHERE deleted_at IS NOT NULL;
  UPDATE conversation_members m SET read_seq = GREATEST(m.read_seq, own.seq)
    FROM (SELECT conversation_id, sender_id, MAX(seq) AS seq FROM messages GROUP BY conversation_id, sender_id) own
    WHERE own.conversation_id = m.conversation_id AND own.sender_id = m.user_id;
  UPDATE conversation_members SET delivered_seq = GREATEST(delivered_seq, read_seq);
  `,
  /* 5: the change stream: every change of a conversation takes its next revision (see ConversationChange) */ `
  ALTER TABLE conversations ADD COLUMN last_rev BIGINT NOT NULL DEFAULT 0;
  UPDATE conversations SET last_rev = last_seq;
  ALTER TABLE messages ADD COLUMN rev BIGINT NOT NULL DEFAULT 0;
  UPDATE messages SET rev = seq;
  CREATE INDEX messages_rev ON messages (conversation_id, rev);
  CREATE TABLE conversation_changes (
    conversation_id TEXT NOT NULL,
    rev BIGINT NOT NULL,
    kind TEXT NOT NULL,
    user_id TEXT,
    role TEXT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, rev)
  );
  `,
  /* 6: usernames looked up case-insensitively (a registration may not take a host user's name) */ `
  CREATE INDEX users_username_ci ON users (lower(username));
  `,
  /* 7: refresh-token families: a rotated token is kept, marked used, so that its reuse revokes its family */ `
  ALTER TABLE refresh_tokens ADD COLUMN family TEXT;
  ALTER TABLE refresh_tokens ADD COLUMN used_at BIGINT;
  UPDATE refresh_tokens SET family = token_hash;
  CREATE INDEX refresh_tokens_family ON refresh_tokens (family);
  `,
];
