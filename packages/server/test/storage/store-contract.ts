import { dmConversationId } from '@parley/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import type {
  AppendResult,
  HistoryPage,
  MessageRecord,
  NewMessage,
  UserConversationRow,
} from '../../src/storage/records.js';
import type { Store } from '../../src/storage/store.js';

/**
 * Behaviour every Store implementation must show, tested only through the Store interface (never SQL), so the
 * same suite runs against SQLite today and PostgreSQL later. Each test gets a fresh, empty store from `open`.
 */
export function registerStoreContract(
  name: string,
  open: () => Promise<{ store: Store; cleanup: () => Promise<void> }>,
): void {
  describe(`Store contract: ${name}`, () => {
    const T0 = 1_700_000_000_000;
    let store: Store;
    let cleanup: () => Promise<void>;
    let tick = 0;

    beforeEach(async () => {
      ({ store, cleanup } = await open());
      tick = 0;
    });
    afterEach(async () => {
      await cleanup();
    });

    /** A strictly increasing timestamp, so "most recent first" orderings are deterministic. */
    const now = () => T0 + 1_000 * ++tick;

    const msg = (conversationId: string, senderId: string, extra: Partial<NewMessage> = {}): NewMessage => ({
      conversationId,
      senderId,
      clientMsgId: null,
      kind: 'text',
      text: `text ${tick + 1}`,
      metadata: null,
      replyTo: null,
      createdAt: now(),
      ...extra,
    });

    const users = async (...ids: string[]) => {
      for (const id of ids) await store.upsertUser({ id, username: id, displayName: `User ${id}` }, T0);
    };

    const append1 = async (m: NewMessage): Promise<AppendResult> => {
      const [r] = await store.appendMessages([m]);
      if (!r) throw new Error('appendMessages returned no result');
      return r;
    };

    const seqs = (ms: readonly MessageRecord[]) => ms.map((x) => x.seq);
    const sorted = (xs: readonly string[]) => [...xs].sort();

    const group = (ownerId: string, memberIds: string[], name = 'team', at = T0) =>
      store.createGroup(
        { name, description: `${name} room`, avatarUrl: null, visibility: 'private' },
        ownerId,
        memberIds,
        at,
      );

    // ---------------------------------------------------------------- users

    describe('users', () => {
      it('upsertUser creates a user with the given names', async () => {
        const u = await store.upsertUser({ id: 'u1', username: 'alice', displayName: 'Alice' }, T0);
        expect(u).toEqual({
          id: 'u1',
          username: 'alice',
          displayName: 'Alice',
          avatarUrl: null,
          createdAt: T0,
          lastSeenAt: null,
          readReceipts: true,
        });
        expect(await store.getUser('u1')).toEqual(u);
      });

      it('upsertUser without names still creates the user with a display name', async () => {
        const u = await store.upsertUser({ id: 'u1', username: null, displayName: null }, T0);
        expect(u.id).toBe('u1');
        expect(u.username).toBeNull();
        expect(typeof u.displayName).toBe('string');
        expect(await store.getUser('u1')).toEqual(u);
      });

      it('upsertUser updates username and display name when given and different, keeping createdAt', async () => {
        await store.upsertUser({ id: 'u1', username: 'alice', displayName: 'Alice' }, T0);
        const u = await store.upsertUser({ id: 'u1', username: 'alice2', displayName: 'Alice Two' }, T0 + 5_000);
        expect(u).toMatchObject({ id: 'u1', username: 'alice2', displayName: 'Alice Two', createdAt: T0 });
        expect(await store.getUser('u1')).toEqual(u);

        const onlyName = await store.upsertUser({ id: 'u1', username: null, displayName: 'A3' }, T0 + 6_000);
        expect(onlyName).toMatchObject({ username: 'alice2', displayName: 'A3' });
        const onlyUser = await store.upsertUser({ id: 'u1', username: 'alice4', displayName: null }, T0 + 7_000);
        expect(onlyUser).toMatchObject({ username: 'alice4', displayName: 'A3' });
        expect(await store.getUser('u1')).toEqual(onlyUser);
      });

      it('upsertUser with null names changes nothing', async () => {
        const before = await store.upsertUser({ id: 'u1', username: 'alice', displayName: 'Alice' }, T0);
        const after = await store.upsertUser({ id: 'u1', username: null, displayName: null }, T0 + 9_000);
        expect(after).toEqual(before);
        expect(await store.getUser('u1')).toEqual(before);
      });

      it('createUserWithLogin creates the user and its login', async () => {
        const u = await store.createUserWithLogin({ id: 'u1', username: 'alice', displayName: 'Alice' }, 'hash-1', T0);
        expect(u).toMatchObject({ id: 'u1', username: 'alice', displayName: 'Alice', createdAt: T0, avatarUrl: null });
        expect(await store.getUser('u1')).toEqual(u);
        expect(await store.getLogin('alice')).toEqual({ userId: 'u1', passwordHash: 'hash-1' });
      });

      it('createUserWithLogin throws AppError CONFLICT on a case-insensitive duplicate and creates nothing', async () => {
        await store.createUserWithLogin({ id: 'u1', username: 'alice', displayName: 'Alice' }, 'hash-1', T0);
        for (const [i, taken] of ['alice', 'ALICE', 'Alice'].entries()) {
          const attempt = store.createUserWithLogin({ id: `u${i + 2}`, username: taken, displayName: 'X' }, 'h', T0);
          await expect(attempt).rejects.toBeInstanceOf(AppError);
          await expect(attempt).rejects.toMatchObject({ code: 'CONFLICT' });
          expect(await store.getUser(`u${i + 2}`)).toBeNull();
        }
        expect(await store.getLogin('alice')).toEqual({ userId: 'u1', passwordHash: 'hash-1' });
      });

      it('getLogin finds a login whatever the case and returns null for unknown names', async () => {
        await store.createUserWithLogin({ id: 'u1', username: 'Alice', displayName: 'Alice' }, 'hash-1', T0);
        expect(await store.getLogin('Alice')).toEqual({ userId: 'u1', passwordHash: 'hash-1' });
        expect(await store.getLogin('alice')).toEqual({ userId: 'u1', passwordHash: 'hash-1' });
        expect(await store.getLogin('bob')).toBeNull();
      });

      it('getUser returns null for an unknown id', async () => {
        expect(await store.getUser('nobody')).toBeNull();
      });

      it('getUsers returns the known users among several ids and skips unknown ids', async () => {
        await users('a', 'b', 'c');
        const got = await store.getUsers(['c', 'zz', 'a', 'nope']);
        expect(sorted(got.map((u) => u.id))).toEqual(['a', 'c']);
        expect(got.find((u) => u.id === 'c')).toEqual(await store.getUser('c'));
        expect(await store.getUsers([])).toEqual([]);
        expect(await store.getUsers(['unknown'])).toEqual([]);
      });

      it('updateProfile sets display name and avatar, clears the avatar with null, ignores absent fields', async () => {
        await users('a');
        const u1 = await store.updateProfile('a', { displayName: 'Ann', avatarUrl: 'https://x.test/a.png' });
        expect(u1).toMatchObject({ id: 'a', displayName: 'Ann', avatarUrl: 'https://x.test/a.png', username: 'a' });
        const u2 = await store.updateProfile('a', { displayName: 'Annie' });
        expect(u2).toMatchObject({ displayName: 'Annie', avatarUrl: 'https://x.test/a.png' });
        const u3 = await store.updateProfile('a', { avatarUrl: null });
        expect(u3).toMatchObject({ displayName: 'Annie', avatarUrl: null });
        const u4 = await store.updateProfile('a', {});
        expect(u4).toEqual(u3);
        expect(await store.getUser('a')).toEqual(u3);
        expect(await store.updateProfile('nobody', { displayName: 'X' })).toBeNull();
      });

      it('setLastSeen records the time', async () => {
        await users('a');
        await store.setLastSeen('a', T0 + 42);
        expect((await store.getUser('a'))?.lastSeenAt).toBe(T0 + 42);
        await store.setLastSeen('a', T0 + 99);
        expect((await store.getUser('a'))?.lastSeenAt).toBe(T0 + 99);
      });
    });

    // ---------------------------------------------------------------- refresh tokens

    describe('refresh tokens', () => {
      it('consumeRefreshToken returns the user and device once: the token is single-use', async () => {
        await users('a');
        await store.saveRefreshToken('tok-1', 'a', 'phone-1', T0 + 60_000);
        expect(await store.consumeRefreshToken('tok-1', T0)).toEqual({ userId: 'a', deviceId: 'phone-1' });
        expect(await store.consumeRefreshToken('tok-1', T0)).toBeNull();
      });

      it('a token without a device consumes to deviceId null', async () => {
        await users('a');
        await store.saveRefreshToken('tok-1', 'a', null, T0 + 60_000);
        expect(await store.consumeRefreshToken('tok-1', T0)).toEqual({ userId: 'a', deviceId: null });
      });

      it('an expired token consumes to null', async () => {
        await users('a');
        await store.saveRefreshToken('tok-old', 'a', null, T0 + 1_000);
        expect(await store.consumeRefreshToken('tok-old', T0 + 2_000)).toBeNull();
        expect(await store.consumeRefreshToken('tok-old', T0)).toBeNull();
      });

      it('an unknown token consumes to null', async () => {
        expect(await store.consumeRefreshToken('never-saved', T0)).toBeNull();
      });

      it('deleteRefreshToken revokes a token and leaves the others', async () => {
        await users('a');
        await store.saveRefreshToken('tok-1', 'a', null, T0 + 60_000);
        await store.saveRefreshToken('tok-2', 'a', null, T0 + 60_000);
        await store.deleteRefreshToken('tok-1');
        await store.deleteRefreshToken('not-there');
        expect(await store.consumeRefreshToken('tok-1', T0)).toBeNull();
        expect(await store.consumeRefreshToken('tok-2', T0)).toEqual({ userId: 'a', deviceId: null });
      });
    });

    // ---------------------------------------------------------------- social graph

    describe('social graph', () => {
      it('friend requests: create, get, list incoming and outgoing, delete', async () => {
        await users('a', 'b', 'c');
        await store.createFriendRequest('a', 'b', T0 + 1);
        await store.createFriendRequest('c', 'a', T0 + 2);
        expect(await store.getFriendRequest('a', 'b')).toEqual({ fromId: 'a', toId: 'b', createdAt: T0 + 1 });
        expect(await store.getFriendRequest('b', 'a')).toBeNull();

        const forA = await store.listFriendRequests('a');
        expect(forA.outgoing).toEqual([{ fromId: 'a', toId: 'b', createdAt: T0 + 1 }]);
        expect(forA.incoming).toEqual([{ fromId: 'c', toId: 'a', createdAt: T0 + 2 }]);
        const forB = await store.listFriendRequests('b');
        expect(forB).toEqual({ incoming: [{ fromId: 'a', toId: 'b', createdAt: T0 + 1 }], outgoing: [] });

        expect(await store.deleteFriendRequest('a', 'b')).toBe(true);
        expect(await store.deleteFriendRequest('a', 'b')).toBe(false);
        expect(await store.getFriendRequest('a', 'b')).toBeNull();
        expect((await store.listFriendRequests('b')).incoming).toEqual([]);
      });

      it('addFriendship makes both users friends of each other and removes pending requests both ways', async () => {
        await users('a', 'b', 'c');
        await store.createFriendRequest('a', 'b', T0);
        await store.createFriendRequest('b', 'a', T0);
        await store.createFriendRequest('c', 'a', T0);
        await store.addFriendship('a', 'b', T0 + 10);

        expect(await store.areFriends('a', 'b')).toBe(true);
        expect(await store.areFriends('b', 'a')).toBe(true);
        expect(await store.areFriends('a', 'c')).toBe(false);
        expect(await store.listFriends('a')).toEqual([{ userId: 'b', since: T0 + 10 }]);
        expect(await store.listFriends('b')).toEqual([{ userId: 'a', since: T0 + 10 }]);
        expect(await store.getFriendRequest('a', 'b')).toBeNull();
        expect(await store.getFriendRequest('b', 'a')).toBeNull();
        // unrelated requests stay
        expect(await store.getFriendRequest('c', 'a')).not.toBeNull();
      });

      it('removeFriendship removes it in both directions and reports whether there was one', async () => {
        await users('a', 'b');
        await store.addFriendship('a', 'b', T0);
        expect(await store.removeFriendship('b', 'a')).toBe(true);
        expect(await store.areFriends('a', 'b')).toBe(false);
        expect(await store.areFriends('b', 'a')).toBe(false);
        expect(await store.listFriends('a')).toEqual([]);
        expect(await store.listFriends('b')).toEqual([]);
        expect(await store.removeFriendship('a', 'b')).toBe(false);
      });

      it('block removes friendship and pending requests both ways; isBlockedEitherWay sees it from both sides', async () => {
        await users('a', 'b', 'c');
        await store.addFriendship('a', 'b', T0);
        await store.createFriendRequest('a', 'c', T0);
        await store.createFriendRequest('c', 'a', T0);

        await store.block('a', 'b', T0 + 1);
        await store.block('c', 'a', T0 + 2);

        expect(await store.areFriends('a', 'b')).toBe(false);
        expect(await store.areFriends('b', 'a')).toBe(false);
        expect(await store.getFriendRequest('a', 'c')).toBeNull();
        expect(await store.getFriendRequest('c', 'a')).toBeNull();
        expect(await store.listBlocked('a')).toEqual([{ userId: 'b', since: T0 + 1 }]);
        expect(await store.listBlocked('c')).toEqual([{ userId: 'a', since: T0 + 2 }]);
        expect(await store.listBlocked('b')).toEqual([]);

        expect(await store.isBlockedEitherWay('a', 'b')).toBe(true);
        expect(await store.isBlockedEitherWay('b', 'a')).toBe(true);
        expect(await store.isBlockedEitherWay('a', 'c')).toBe(true);
        expect(await store.isBlockedEitherWay('c', 'a')).toBe(true);
        expect(await store.isBlockedEitherWay('b', 'c')).toBe(false);
      });

      it('unblock lifts a block and reports whether there was one', async () => {
        await users('a', 'b');
        await store.block('a', 'b', T0);
        await store.block('b', 'a', T0);
        expect(await store.unblock('a', 'b')).toBe(true);
        expect(await store.unblock('a', 'b')).toBe(false);
        // b still blocks a
        expect(await store.isBlockedEitherWay('a', 'b')).toBe(true);
        expect(await store.unblock('b', 'a')).toBe(true);
        expect(await store.isBlockedEitherWay('a', 'b')).toBe(false);
        expect(await store.isBlockedEitherWay('b', 'a')).toBe(false);
        expect(await store.listBlocked('a')).toEqual([]);
      });

      it('contactsOf lists friends and co-members, not strangers and not the user', async () => {
        await users('me', 'friend', 'dmPeer', 'groupPeer', 'stranger', 'friendAndPeer');
        await store.addFriendship('me', 'friend', T0);
        await store.addFriendship('friendAndPeer', 'me', T0);
        await store.ensureDm(dmConversationId('me', 'dmPeer'), 'me', 'dmPeer', T0);
        await group('groupPeer', ['me', 'friendAndPeer']);
        await group('stranger', []);
        await store.ensureDm(dmConversationId('stranger', 'friend'), 'stranger', 'friend', T0);

        const contacts = await store.contactsOf('me');
        expect(sorted(contacts)).toEqual(['dmPeer', 'friend', 'friendAndPeer', 'groupPeer']);
        expect(await store.contactsOf('nobody')).toEqual([]);
      });
    });

    // ---------------------------------------------------------------- conversations

    describe('conversations', () => {
      it('ensureDm creates the direct conversation with both members and is idempotent', async () => {
        await users('a', 'b');
        const id = dmConversationId('a', 'b');
        await store.ensureDm(id, 'a', 'b', T0);
        await store.ensureDm(id, 'a', 'b', T0 + 5_000);
        await store.ensureDm(id, 'b', 'a', T0 + 6_000);

        const c = await store.getConversation(id);
        expect(c).toMatchObject({ id, kind: 'dm', groupId: null, createdAt: T0, lastSeq: 0, lastMessageAt: null });
        expect(await store.memberCount(id)).toBe(2);
        const ms = await store.listMembers(id);
        expect(sorted(ms.map((m) => m.userId))).toEqual(['a', 'b']);
        for (const m of ms) expect(m).toMatchObject({ conversationId: id, readSeq: 0, joinedAt: T0 });
        expect(await store.getMember(id, 'a')).not.toBeNull();
        expect(await store.getMember(id, 'b')).not.toBeNull();
      });

      it('getConversation returns null for an unknown id', async () => {
        expect(await store.getConversation('g:999')).toBeNull();
        expect(await store.getConversation('dm:x:y')).toBeNull();
      });

      it('createGroup assigns dense numeric group ids from 1, ids g:<n>, the owner role and the members', async () => {
        await users('o', 'm1', 'm2');
        const g1 = await store.createGroup(
          { name: 'One', description: 'first', avatarUrl: 'https://x.test/g.png', visibility: 'public' },
          'o',
          ['m1', 'm2'],
          T0 + 7,
        );
        const g2 = await group('m1', ['o'], 'Two');
        const g3 = await group('m2', [], 'Three');

        expect([g1.groupId, g2.groupId, g3.groupId]).toEqual([1, 2, 3]);
        expect([g1.id, g2.id, g3.id]).toEqual(['g:1', 'g:2', 'g:3']);
        expect(g1).toEqual({
          id: 'g:1',
          kind: 'group',
          groupId: 1,
          name: 'One',
          description: 'first',
          avatarUrl: 'https://x.test/g.png',
          visibility: 'public',
          createdBy: 'o',
          createdAt: T0 + 7,
          lastSeq: 0,
          lastMessageAt: null,
          lastRev: 0,
        });
        expect(await store.getConversation('g:1')).toEqual(g1);

        expect(await store.getMember('g:1', 'o')).toEqual({
          conversationId: 'g:1',
          userId: 'o',
          role: 'owner',
          joinedAt: T0 + 7,
          deliveredSeq: 0,
          readSeq: 0,
        });
        expect(await store.getMember('g:1', 'm1')).toMatchObject({ role: 'member', readSeq: 0 });
        expect(await store.getMember('g:1', 'm2')).toMatchObject({ role: 'member' });
        expect(await store.memberCount('g:1')).toBe(3);
        expect(await store.memberCount('g:3')).toBe(1);
        expect(await store.getMember('g:2', 'm1')).toMatchObject({ role: 'owner' });
        expect(await store.getMember('g:2', 'o')).toMatchObject({ role: 'member' });
      });

      it('updateGroup patches only the given fields; unknown ids give null', async () => {
        await users('o');
        const g = await store.createGroup(
          { name: 'Old', description: 'd', avatarUrl: 'https://x.test/1.png', visibility: 'private' },
          'o',
          [],
          T0,
        );
        const renamed = await store.updateGroup(g.id, { name: 'New' });
        expect(renamed).toEqual({ ...g, name: 'New', lastRev: 1 });
        const more = await store.updateGroup(g.id, { description: 'desc', avatarUrl: null, visibility: 'public' });
        expect(more).toEqual({
          ...g,
          name: 'New',
          description: 'desc',
          avatarUrl: null,
          visibility: 'public',
          lastRev: 2,
        });
        expect(await store.updateGroup(g.id, {})).toEqual(more);
        expect(await store.getConversation(g.id)).toEqual(more);
        expect(await store.updateGroup('g:404', { name: 'x' })).toBeNull();
      });

      it('getMember returns null for a non-member; listMembers lists everyone', async () => {
        await users('o', 'a', 'b', 'x');
        const g = await group('o', ['a', 'b']);
        expect(await store.getMember(g.id, 'x')).toBeNull();
        expect(await store.getMember('g:404', 'o')).toBeNull();
        const ms = await store.listMembers(g.id);
        expect(sorted(ms.map((m) => m.userId))).toEqual(['a', 'b', 'o']);
        expect(ms.find((m) => m.userId === 'o')?.role).toBe('owner');
        expect(await store.listMembers('g:404')).toEqual([]);
        expect(await store.memberCount('g:404')).toBe(0);
      });

      it('addMembers adds only users not yet members and returns exactly those, each with its change revision', async () => {
        await users('o', 'a', 'b', 'c');
        const g = await group('o', ['a']);
        const added = await store.addMembers(g.id, ['a', 'b', 'o', 'c'], 'admin', T0 + 50);
        expect(added).toEqual([
          { userId: 'b', rev: 1 },
          { userId: 'c', rev: 2 },
        ]);
        expect(await store.memberCount(g.id)).toBe(4);
        expect(await store.getMember(g.id, 'b')).toMatchObject({ role: 'admin', joinedAt: T0 + 50, readSeq: 0 });
        // existing members keep their role
        expect(await store.getMember(g.id, 'a')).toMatchObject({ role: 'member' });
        expect(await store.getMember(g.id, 'o')).toMatchObject({ role: 'owner' });
        expect(await store.addMembers(g.id, ['a', 'b'], 'member', T0 + 60)).toEqual([]);
        expect(await store.addMembers(g.id, [], 'member', T0 + 60)).toEqual([]);
      });

      it('removeMember removes and reports whether the user was a member', async () => {
        await users('o', 'a');
        const g = await group('o', ['a']);
        expect(await store.removeMember(g.id, 'a')).toBe(1);
        expect(await store.removeMember(g.id, 'a')).toBeNull();
        expect(await store.getMember(g.id, 'a')).toBeNull();
        expect(await store.memberCount(g.id)).toBe(1);
      });

      it('setRole changes a member role and reports false for non-members', async () => {
        await users('o', 'a', 'x');
        const g = await group('o', ['a']);
        expect(await store.setRole(g.id, 'a', 'admin')).toBe(1);
        expect(await store.getMember(g.id, 'a')).toMatchObject({ role: 'admin' });
        expect(await store.setRole(g.id, 'o', 'member')).toBe(2);
        expect(await store.getMember(g.id, 'o')).toMatchObject({ role: 'member' });
        expect(await store.setRole(g.id, 'x', 'admin')).toBeNull();
        expect(await store.getMember(g.id, 'x')).toBeNull();
      });
    });

    // ---------------------------------------------------------------- messages

    describe('appendMessages', () => {
      it('seq starts at 1 and increases by exactly 1 per conversation, across many batches and interleaved conversations', async () => {
        await users('a', 'b', 'c');
        const dm = dmConversationId('a', 'b');
        await store.ensureDm(dm, 'a', 'b', T0);
        const g = await group('a', ['b', 'c']);
        const g2 = await group('c', []);
        const convs = [dm, g.id, g2.id];
        const senders: Record<string, string[]> = { [dm]: ['a', 'b'], [g.id]: ['a', 'b', 'c'], [g2.id]: ['c'] };
        const expected: Record<string, number> = { [dm]: 0, [g.id]: 0, [g2.id]: 0 };

        for (let batch = 0; batch < 40; batch++) {
          const items: NewMessage[] = [];
          const size = 1 + (batch % 7);
          for (let i = 0; i < size; i++) {
            const conv = convs[(batch * 3 + i * 5) % convs.length] as string;
            const who = senders[conv] as string[];
            items.push(msg(conv, who[(batch + i) % who.length] as string));
          }
          const results = await store.appendMessages(items);
          expect(results).toHaveLength(items.length);
          for (const [i, r] of results.entries()) {
            const item = items[i] as NewMessage;
            expected[item.conversationId] = (expected[item.conversationId] as number) + 1;
            expect(r.duplicate).toBe(false);
            expect(r.message).toMatchObject({
              conversationId: item.conversationId,
              senderId: item.senderId,
              text: item.text,
              seq: expected[item.conversationId],
            });
          }
        }

        for (const conv of convs) {
          const n = expected[conv] as number;
          expect(n).toBeGreaterThan(0);
          const page = await store.history(conv, { limit: 1_000 });
          expect(seqs(page.messages)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
          expect((await store.getConversation(conv))?.lastSeq).toBe(n);
        }
      });

      it('returns full records with distinct ids that getMessage reads back identically', async () => {
        await users('a', 'b');
        const dm = dmConversationId('a', 'b');
        await store.ensureDm(dm, 'a', 'b', T0);
        const results = await store.appendMessages([
          msg(dm, 'a', { clientMsgId: 'c-1', text: 'hello' }),
          msg(dm, 'b', { text: 'hi' }),
        ]);
        const [r1, r2] = results as [AppendResult, AppendResult];
        expect(r1.message).toMatchObject({
          conversationId: dm,
          seq: 1,
          senderId: 'a',
          kind: 'text',
          text: 'hello',
          clientMsgId: 'c-1',
          metadata: null,
          replyTo: null,
        });
        expect(r1.message.id).not.toBe(r2.message.id);
        expect(await store.getMessage(r1.message.id)).toEqual(r1.message);
        expect(await store.getMessage(r2.message.id)).toEqual(r2.message);
        const conv = await store.getConversation(dm);
        expect(conv).toMatchObject({ lastSeq: 2, lastMessageAt: r2.message.createdAt });
      });

      it('a duplicate (senderId, clientMsgId) returns the stored original with duplicate=true and stores nothing', async () => {
        await users('a', 'b');
        const dm = dmConversationId('a', 'b');
        await store.ensureDm(dm, 'a', 'b', T0);
        const g = await group('a', ['b']);
        const original = await append1(msg(dm, 'a', { clientMsgId: 'c-1', text: 'first' }));
        expect(original.duplicate).toBe(false);

        const again = await append1(msg(dm, 'a', { clientMsgId: 'c-1', text: 'retry with other text' }));
        expect(again).toEqual({ message: original.message, duplicate: true });

        // same pair in another conversation is still the same message
        const elsewhere = await append1(msg(g.id, 'a', { clientMsgId: 'c-1', text: 'elsewhere' }));
        expect(elsewhere).toEqual({ message: original.message, duplicate: true });

        expect((await store.history(dm, { limit: 50 })).messages).toEqual([original.message]);
        expect((await store.history(g.id, { limit: 50 })).messages).toEqual([]);
        expect((await store.getConversation(dm))?.lastSeq).toBe(1);
        expect((await store.getConversation(g.id))?.lastSeq).toBe(0);

        // another sender may reuse the client id
        const other = await append1(msg(dm, 'b', { clientMsgId: 'c-1', text: 'bob' }));
        expect(other.duplicate).toBe(false);
        expect(other.message.seq).toBe(2);
      });

      it('a duplicate inside the same batch returns the first item of the batch and stores it once', async () => {
        await users('a', 'b');
        const dm = dmConversationId('a', 'b');
        await store.ensureDm(dm, 'a', 'b', T0);
        const results = await store.appendMessages([
          msg(dm, 'a', { clientMsgId: 'dup', text: 'one' }),
          msg(dm, 'b', { text: 'between' }),
          msg(dm, 'a', { clientMsgId: 'dup', text: 'two' }),
          msg(dm, 'a', { clientMsgId: 'other', text: 'three' }),
        ]);
        const [r1, r2, r3, r4] = results as [AppendResult, AppendResult, AppendResult, AppendResult];
        expect(r1.duplicate).toBe(false);
        expect(r3.duplicate).toBe(true);
        expect(r3.message).toEqual(r1.message);
        expect([r1.message.seq, r2.message.seq, r4.message.seq]).toEqual([1, 2, 3]);
        const page = await store.history(dm, { limit: 50 });
        expect(page.messages.map((m) => m.text)).toEqual(['one', 'between', 'three']);
        expect((await store.getConversation(dm))?.lastSeq).toBe(3);
      });

      it('a null clientMsgId never deduplicates', async () => {
        await users('a', 'b');
        const dm = dmConversationId('a', 'b');
        await store.ensureDm(dm, 'a', 'b', T0);
        const same = { clientMsgId: null, text: 'same', createdAt: T0 + 1 };
        const batch = await store.appendMessages([msg(dm, 'a', same), msg(dm, 'a', same)]);
        const single = await append1(msg(dm, 'a', same));
        expect([...batch, single].map((r) => r.duplicate)).toEqual([false, false, false]);
        expect([...batch, single].map((r) => r.message.seq)).toEqual([1, 2, 3]);
        expect((await store.history(dm, { limit: 50 })).messages).toHaveLength(3);
      });

      it("moves the sender's read position to its own message, not the others'", async () => {
        await users('a', 'b', 'c');
        const g = await group('a', ['b', 'c']);
        await store.appendMessages([msg(g.id, 'b'), msg(g.id, 'b'), msg(g.id, 'a')]);
        expect(await store.getMember(g.id, 'a')).toMatchObject({ readSeq: 3 });
        expect(await store.getMember(g.id, 'b')).toMatchObject({ readSeq: 2 });
        expect(await store.getMember(g.id, 'c')).toMatchObject({ readSeq: 0 });
        expect(await store.unreadCount(g.id, 'a')).toBe(0);
        expect(await store.unreadCount(g.id, 'b')).toBe(1);
        expect(await store.unreadCount(g.id, 'c')).toBe(3);
      });

      it('metadata and replyTo round-trip', async () => {
        await users('a', 'b');
        const dm = dmConversationId('a', 'b');
        await store.ensureDm(dm, 'a', 'b', T0);
        const first = await append1(msg(dm, 'a', { text: 'question?' }));
        const metadata = {
          n: 1.5,
          s: 'ü ✓ "quoted"',
          flag: true,
          none: null,
          list: [1, 'two', { three: 3 }],
          nested: { deep: { deeper: [] } },
        };
        const reply = await append1(
          msg(dm, 'b', { kind: 'custom.card', text: 'answer', metadata, replyTo: first.message.id }),
        );
        expect(reply.message.metadata).toEqual(metadata);
        expect(reply.message.replyTo).toBe(first.message.id);
        expect(reply.message.kind).toBe('custom.card');

        const stored = await store.getMessage(reply.message.id);
        expect(stored).toEqual(reply.message);
        expect(stored?.metadata).toEqual(metadata);
        expect(stored?.replyTo).toBe(first.message.id);
        const page = await store.history(dm, { limit: 10 });
        expect(page.messages[1]).toEqual(reply.message);
        expect(page.messages[0]?.metadata).toBeNull();
        expect(page.messages[0]?.replyTo).toBeNull();
      });

      it('a batch with an item for a missing conversation rejects and stores none of the batch', async () => {
        await users('a', 'b');
        const dm = dmConversationId('a', 'b');
        await store.ensureDm(dm, 'a', 'b', T0);
        const g = await group('a', ['b']);
        await append1(msg(g.id, 'b', { text: 'before' }));

        const batch = [
          msg(dm, 'a', { clientMsgId: 'good-1' }),
          msg(g.id, 'a', { clientMsgId: 'good-2' }),
          msg('g:404', 'a', { clientMsgId: 'bad' }),
          msg(dm, 'b', { clientMsgId: 'good-3' }),
        ];
        await expect(store.appendMessages(batch)).rejects.toThrow();

        expect((await store.history(dm, { limit: 50 })).messages).toEqual([]);
        expect((await store.history(g.id, { limit: 50 })).messages.map((m) => m.text)).toEqual(['before']);
        expect(await store.getConversation(dm)).toMatchObject({ lastSeq: 0, lastMessageAt: null });
        expect((await store.getConversation(g.id))?.lastSeq).toBe(1);
        expect(await store.getMember(g.id, 'a')).toMatchObject({ readSeq: 0 });
        expect(await store.getConversation('g:404')).toBeNull();

        // nothing of the failed batch was kept: the client ids are still free and seqs continue without a gap
        const retry = await store.appendMessages([batch[0] as NewMessage, batch[1] as NewMessage]);
        expect(retry.map((r) => r.duplicate)).toEqual([false, false]);
        expect(retry.map((r) => r.message.seq)).toEqual([1, 2]);
      });

      it('getMessage returns null for unknown and non-numeric ids', async () => {
        await users('a', 'b');
        const dm = dmConversationId('a', 'b');
        await store.ensureDm(dm, 'a', 'b', T0);
        const r = await append1(msg(dm, 'a'));
        expect(await store.getMessage(r.message.id)).toEqual(r.message);
        for (const id of [
          '999999999',
          'abc',
          '',
          '1; DROP TABLE messages',
          '-1',
          '1.5',
          ' 1',
          '99999999999999999999999',
        ]) {
          expect(await store.getMessage(id)).toBeNull();
        }
      });
    });

    // ---------------------------------------------------------------- history

    describe('history', () => {
      let conv: string;
      beforeEach(async () => {
        await users('a', 'b');
        conv = dmConversationId('a', 'b');
        await store.ensureDm(conv, 'a', 'b', T0);
        for (let i = 0; i < 10; i++) await append1(msg(conv, i % 2 === 0 ? 'a' : 'b', { text: `m${i + 1}` }));
      });

      it('the latest page, ascending, with hasMore', async () => {
        const page = await store.history(conv, { limit: 3 });
        expect(seqs(page.messages)).toEqual([8, 9, 10]);
        expect(page.messages.map((m) => m.text)).toEqual(['m8', 'm9', 'm10']);
        expect(page.hasMore).toBe(true);
        const all = await store.history(conv, { limit: 10 });
        expect(seqs(all.messages)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        expect(all.hasMore).toBe(false);
        const more = await store.history(conv, { limit: 50 });
        expect(seqs(more.messages)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        expect(more.hasMore).toBe(false);
      });

      it('before: the page just older than a seq, ascending', async () => {
        const p1 = await store.history(conv, { before: 5, limit: 2 });
        expect(seqs(p1.messages)).toEqual([3, 4]);
        expect(p1.hasMore).toBe(true);
        const p2 = await store.history(conv, { before: 3, limit: 2 });
        expect(seqs(p2.messages)).toEqual([1, 2]);
        expect(p2.hasMore).toBe(false);
        const p3 = await store.history(conv, { before: 1, limit: 2 });
        expect(p3).toEqual({ messages: [], hasMore: false });
        const p4 = await store.history(conv, { before: 1_000, limit: 2 });
        expect(seqs(p4.messages)).toEqual([9, 10]);
        expect(p4.hasMore).toBe(true);
      });

      it('after: the page just newer than a seq, ascending', async () => {
        const p1 = await store.history(conv, { after: 7, limit: 2 });
        expect(seqs(p1.messages)).toEqual([8, 9]);
        expect(p1.hasMore).toBe(true);
        const p2 = await store.history(conv, { after: 8, limit: 5 });
        expect(seqs(p2.messages)).toEqual([9, 10]);
        expect(p2.hasMore).toBe(false);
        const p3 = await store.history(conv, { after: 10, limit: 5 });
        expect(p3).toEqual({ messages: [], hasMore: false });
        const p4 = await store.history(conv, { after: 0, limit: 3 });
        expect(seqs(p4.messages)).toEqual([1, 2, 3]);
        expect(p4.hasMore).toBe(true);
      });

      it('after + before: the range between, exclusive, ascending', async () => {
        const p1 = await store.history(conv, { after: 2, before: 6, limit: 10 });
        expect(seqs(p1.messages)).toEqual([3, 4, 5]);
        expect(p1.hasMore).toBe(false);
        const p2 = await store.history(conv, { after: 2, before: 6, limit: 3 });
        expect(seqs(p2.messages)).toEqual([3, 4, 5]);
        expect(p2.hasMore).toBe(false);
        const p3 = await store.history(conv, { after: 2, before: 9, limit: 3 });
        expect(seqs(p3.messages)).toEqual([3, 4, 5]);
        expect(p3.hasMore).toBe(true);
        const p4 = await store.history(conv, { after: 4, before: 5, limit: 3 });
        expect(p4).toEqual({ messages: [], hasMore: false });
      });

      it('offset: skips the newest messages, ascending', async () => {
        const p1 = await store.history(conv, { offset: 2, limit: 3 });
        expect(seqs(p1.messages)).toEqual([6, 7, 8]);
        expect(p1.hasMore).toBe(true);
        const p2 = await store.history(conv, { offset: 7, limit: 3 });
        expect(seqs(p2.messages)).toEqual([1, 2, 3]);
        expect(p2.hasMore).toBe(false);
        const p3 = await store.history(conv, { offset: 8, limit: 3 });
        expect(seqs(p3.messages)).toEqual([1, 2]);
        expect(p3.hasMore).toBe(false);
        const p4 = await store.history(conv, { offset: 10, limit: 3 });
        expect(p4).toEqual({ messages: [], hasMore: false });
        const p0 = await store.history(conv, { offset: 0, limit: 3 });
        expect(seqs(p0.messages)).toEqual([8, 9, 10]);
      });

      it('paging backwards with before visits every message exactly once', async () => {
        const seen: number[] = [];
        let before: number | undefined;
        for (;;) {
          const page: HistoryPage = await store.history(
            conv,
            before === undefined ? { limit: 3 } : { before, limit: 3 },
          );
          const s = seqs(page.messages);
          expect(s).toEqual([...s].sort((x, y) => x - y));
          seen.unshift(...s);
          if (!page.hasMore) break;
          before = s[0];
        }
        expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      });

      it('an empty or unknown conversation has an empty page', async () => {
        await users('c');
        const g = await group('c', []);
        expect(await store.history(g.id, { limit: 5 })).toEqual({ messages: [], hasMore: false });
        expect(await store.history('g:404', { limit: 5 })).toEqual({ messages: [], hasMore: false });
        expect(await store.history('g:404', { after: 0, limit: 5 })).toEqual({ messages: [], hasMore: false });
      });
    });

    // ---------------------------------------------------------------- conversation lists and read positions

    describe('conversation lists and read positions', () => {
      it('listUserConversations: most recent activity first, last message, unread, member count; empty DMs omitted', async () => {
        await users('a', 'b', 'c', 'd');
        const dmAB = dmConversationId('a', 'b');
        const dmAC = dmConversationId('a', 'c');
        const dmAD = dmConversationId('a', 'd');
        await store.ensureDm(dmAB, 'a', 'b', T0 + 1);
        await store.ensureDm(dmAC, 'a', 'c', T0 + 2);
        await store.ensureDm(dmAD, 'a', 'd', T0 + 3); // stays empty
        const g = await group('b', ['a', 'c'], 'team', T0 + 4);

        await append1(msg(dmAC, 'c', { text: 'c1' }));
        await store.appendMessages([msg(g.id, 'b', { text: 'g1' }), msg(g.id, 'c', { text: 'g2' })]);
        const lastAB = await append1(msg(dmAB, 'a', { text: 'ab1' }));
        const lastAC = await append1(msg(dmAC, 'c', { text: 'c2' }));

        const list = await store.listUserConversations('a');
        expect(list.map((r) => r.conversation.id)).toEqual([dmAC, dmAB, g.id]);
        const [rowAC, rowAB, rowG] = list as [UserConversationRow, UserConversationRow, UserConversationRow];

        expect(rowAC.lastMessage).toEqual(lastAC.message);
        expect(rowAC.unreadCount).toBe(2);
        expect(rowAC.memberCount).toBe(2);
        expect(rowAC.conversation).toEqual(await store.getConversation(dmAC));
        expect(rowAC.member).toEqual(await store.getMember(dmAC, 'a'));

        expect(rowAB.lastMessage).toEqual(lastAB.message);
        expect(rowAB.unreadCount).toBe(0);
        expect(rowAB.member).toMatchObject({ userId: 'a', readSeq: 1 });

        expect(rowG.lastMessage?.text).toBe('g2');
        expect(rowG.unreadCount).toBe(2);
        expect(rowG.memberCount).toBe(3);
        expect(rowG.member).toMatchObject({ conversationId: g.id, userId: 'a', role: 'member', readSeq: 0 });

        // new activity in the group moves it to the top
        await append1(msg(g.id, 'a', { text: 'g3' }));
        const again = await store.listUserConversations('a');
        expect(again.map((r) => r.conversation.id)).toEqual([g.id, dmAC, dmAB]);
        expect(again[0]?.unreadCount).toBe(0);

        // the other side sees only its own conversations
        const forD = await store.listUserConversations('d');
        expect(forD).toEqual([]);
        const forB = await store.listUserConversations('b');
        expect(forB.map((r) => r.conversation.id)).toEqual([g.id, dmAB]);
        expect(forB.find((r) => r.conversation.id === dmAB)?.unreadCount).toBe(1);
        expect(forB.find((r) => r.conversation.id === g.id)?.member).toMatchObject({ userId: 'b', role: 'owner' });
      });

      it('listUserConversations includes a group without messages', async () => {
        await users('a', 'b');
        const g = await group('a', ['b']);
        const list = await store.listUserConversations('b');
        expect(list).toHaveLength(1);
        expect(list[0]).toMatchObject({ lastMessage: null, unreadCount: 0, memberCount: 2 });
        expect(list[0]?.conversation.id).toBe(g.id);
      });

      it('advanceReadSeq only moves forward and is clamped to the last seq', async () => {
        await users('a', 'b');
        const dm = dmConversationId('a', 'b');
        await store.ensureDm(dm, 'a', 'b', T0);
        for (let i = 0; i < 5; i++) await append1(msg(dm, 'a'));

        expect(await store.advanceReadSeq(dm, 'b', 3)).toEqual({ before: 0, after: 3 });
        expect(await store.getMember(dm, 'b')).toMatchObject({ readSeq: 3 });
        expect(await store.advanceReadSeq(dm, 'b', 2)).toEqual({ before: 3, after: 3 });
        expect(await store.advanceReadSeq(dm, 'b', 0)).toEqual({ before: 3, after: 3 });
        expect(await store.getMember(dm, 'b')).toMatchObject({ readSeq: 3 });
        expect(await store.advanceReadSeq(dm, 'b', 1_000)).toEqual({ before: 3, after: 5 });
        expect(await store.getMember(dm, 'b')).toMatchObject({ readSeq: 5 });
        // what is read was delivered
        expect((await store.getMember(dm, 'b'))?.deliveredSeq).toBeGreaterThanOrEqual(5);

        // the clamp keeps later messages unread
        await append1(msg(dm, 'a'));
        expect(await store.unreadCount(dm, 'b')).toBe(1);
        expect(await store.advanceReadSeq(dm, 'b', 6)).toEqual({ before: 5, after: 6 });
        expect(await store.unreadCount(dm, 'b')).toBe(0);
      });

      it('advanceReadSeq on an empty conversation stays at 0', async () => {
        await users('a', 'b');
        const g = await group('a', ['b']);
        expect(await store.advanceReadSeq(g.id, 'b', 10)).toEqual({ before: 0, after: 0 });
        expect(await store.getMember(g.id, 'b')).toMatchObject({ readSeq: 0 });
      });

      it('unreadCount counts messages from others after the read position; totalUnread sums over conversations', async () => {
        await users('a', 'b', 'c');
        const dm = dmConversationId('a', 'b');
        await store.ensureDm(dm, 'a', 'b', T0);
        const g = await group('c', ['a', 'b']);

        expect(await store.unreadCount(dm, 'a')).toBe(0);
        expect(await store.totalUnread('a')).toBe(0);

        await store.appendMessages([msg(dm, 'b'), msg(dm, 'b'), msg(g.id, 'c'), msg(g.id, 'b'), msg(g.id, 'c')]);
        expect(await store.unreadCount(dm, 'a')).toBe(2);
        expect(await store.unreadCount(g.id, 'a')).toBe(3);
        expect(await store.totalUnread('a')).toBe(5);
        expect(await store.unreadCount(dm, 'b')).toBe(0);
        expect(await store.unreadCount(g.id, 'b')).toBe(1); // c's seq 3, after b's own seq 2
        expect(await store.totalUnread('b')).toBe(1);
        expect(await store.totalUnread('c')).toBe(0); // c wrote the last group message itself

        await store.advanceReadSeq(g.id, 'a', 2);
        expect(await store.unreadCount(g.id, 'a')).toBe(1);
        expect(await store.totalUnread('a')).toBe(3);

        // a's own message moves a's read position; later messages from others count again
        await store.appendMessages([msg(dm, 'a'), msg(dm, 'b')]);
        expect(await store.unreadCount(dm, 'a')).toBe(1);
        expect(await store.totalUnread('a')).toBe(2);

        // not a member: nothing unread there
        expect(await store.unreadCount(g.id, 'nobody')).toBe(0);
        expect(await store.totalUnread('nobody')).toBe(0);
      });

      it('unread counts stop after leaving a conversation', async () => {
        await users('a', 'b');
        const g = await group('a', ['b']);
        await append1(msg(g.id, 'a'));
        expect(await store.totalUnread('b')).toBe(1);
        await store.removeMember(g.id, 'b');
        expect(await store.totalUnread('b')).toBe(0);
        expect(await store.listUserConversations('b')).toEqual([]);
      });

      it('U1 property: unread counts match a model under random appends, read moves, deletes, joins and leaves (seeded)', async () => {
        const rand = mulberry32(0x5eed);
        const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
        const U = ['u1', 'u2', 'u3', 'u4'] as const;
        await users(...U);
        const dm12 = dmConversationId('u1', 'u2');
        const dm23 = dmConversationId('u2', 'u3');
        await store.ensureDm(dm12, 'u1', 'u2', T0);
        await store.ensureDm(dm23, 'u2', 'u3', T0);
        const gAll = (await group('u1', ['u2', 'u3'])).id;
        const g13 = (await group('u3', ['u1'])).id;
        const groups = [gAll, g13];

        const members: Record<string, string[]> = {
          [dm12]: ['u1', 'u2'],
          [dm23]: ['u2', 'u3'],
          [gAll]: ['u1', 'u2', 'u3'],
          [g13]: ['u1', 'u3'],
        };
        const convs = Object.keys(members);
        // the model: senders and ids by seq (index seq-1), deleted seqs, and read positions
        const senders: Record<string, string[]> = Object.fromEntries(convs.map((c) => [c, []]));
        const ids: Record<string, string[]> = Object.fromEntries(convs.map((c) => [c, []]));
        const deleted: Record<string, Set<number>> = Object.fromEntries(convs.map((c) => [c, new Set<number>()]));
        const read = new Map<string, number>();
        const key = (c: string, u: string) => `${c}|${u}`;
        for (const c of convs) for (const u of members[c] as string[]) read.set(key(c, u), 0);

        // the definition, counted: messages from others after the read position, not deleted
        const modelUnread = (c: string, u: string) => {
          const r = read.get(key(c, u)) as number;
          return (senders[c] as string[]).filter((s, i) => i + 1 > r && s !== u && !deleted[c]?.has(i + 1)).length;
        };
        let clientIds = 0;

        for (let step = 0; step < 400; step++) {
          const action = rand();
          if (action < 0.5) {
            const n = 1 + Math.floor(rand() * 3);
            const items: NewMessage[] = [];
            for (let i = 0; i < n; i++) {
              const c = pick(convs.filter((x) => (members[x] as string[]).length > 0));
              items.push(
                msg(c, pick(members[c] as string[]), { clientMsgId: rand() < 0.5 ? `p${++clientIds}` : null }),
              );
            }
            const results = await store.appendMessages(items);
            for (const [i, item] of items.entries()) {
              const list = senders[item.conversationId] as string[];
              list.push(item.senderId);
              (ids[item.conversationId] as string[]).push(results[i]?.message.id as string);
              const seq = list.length;
              expect(results[i]?.message.seq).toBe(seq);
              const k = key(item.conversationId, item.senderId);
              read.set(k, Math.max(read.get(k) as number, seq));
            }
          } else if (action < 0.7) {
            const c = pick(convs.filter((x) => (members[x] as string[]).length > 0));
            const u = pick(members[c] as string[]);
            const last = (senders[c] as string[]).length;
            const target = Math.floor(rand() * (last + 3));
            const before = read.get(key(c, u)) as number;
            const expected = Math.max(before, Math.min(target, last));
            read.set(key(c, u), expected);
            expect(await store.advanceReadSeq(c, u, target)).toEqual({ before, after: expected });
          } else if (action < 0.8) {
            const withMessages = convs.filter((x) => (ids[x] as string[]).length > 0);
            if (withMessages.length === 0) continue;
            const c = pick(withMessages);
            const seq = 1 + Math.floor(rand() * (ids[c] as string[]).length);
            const deletedNow = await store.softDeleteMessage((ids[c] as string[])[seq - 1] as string, now());
            expect(deletedNow?.seq).toBe(seq);
            deleted[c]?.add(seq);
          } else if (action < 0.9) {
            // join: a member starts having read everything before they joined
            const c = pick(groups);
            const outside = U.filter((u) => !(members[c] as string[]).includes(u));
            if (outside.length === 0) continue;
            const u = pick(outside);
            expect((await store.addMembers(c, [u], 'member', now())).map((a) => a.userId)).toEqual([u]);
            (members[c] as string[]).push(u);
            read.set(key(c, u), (senders[c] as string[]).length);
          } else {
            const c = pick(groups);
            if ((members[c] as string[]).length === 0) continue;
            const u = pick(members[c] as string[]);
            expect(await store.removeMember(c, u)).not.toBeNull();
            members[c] = (members[c] as string[]).filter((x) => x !== u);
            read.delete(key(c, u));
          }

          for (const c of convs) {
            for (const u of members[c] as string[]) {
              expect(await store.unreadCount(c, u), `step ${step}: unreadCount(${c}, ${u})`).toBe(modelUnread(c, u));
            }
          }
          for (const u of U) {
            const total = convs
              .filter((c) => (members[c] as string[]).includes(u))
              .reduce((sum, c) => sum + modelUnread(c, u), 0);
            expect(await store.totalUnread(u), `step ${step}: totalUnread(${u})`).toBe(total);
          }
          if (step % 25 === 0 || step === 399) {
            for (const u of U) {
              const rows = await store.listUserConversations(u);
              const expected = convs.filter(
                (c) => (members[c] as string[]).includes(u) && (groups.includes(c) || (senders[c] as string[]).length > 0),
              );
              expect(rows.map((r) => r.conversation.id).sort(), `step ${step}: list of ${u}`).toEqual(expected.sort());
              for (const row of rows) {
                const c = row.conversation.id;
                expect(row.unreadCount, `step ${step}: list unread (${c}, ${u})`).toBe(modelUnread(c, u));
                expect(row.member.readSeq).toBe(read.get(key(c, u)));
                expect(row.conversation.lastSeq).toBe((senders[c] as string[]).length);
              }
            }
          }
        }
      });
    });

    // ---------------------------------------------------------------- delivery positions and receipt audiences

    describe('advanceDeliveredSeq and sendersBetween', () => {
      it('advancePositions applies many moves in one write, with the rules of the single moves', async () => {
        await users('a', 'b', 'c', 'd');
        const g = await group('a', ['b', 'c']);
        for (let i = 0; i < 4; i++) await append1(msg(g.id, 'a'));
        await store.advanceReadSeq(g.id, 'c', 3);
        const results = await store.advancePositions([
          { conversationId: g.id, userId: 'b', deliveredSeq: 2 },
          { conversationId: g.id, userId: 'c', deliveredSeq: 1, readSeq: 99 },
          { conversationId: g.id, userId: 'd', deliveredSeq: 4 },
          { conversationId: g.id, userId: 'b', deliveredSeq: 3 },
        ]);
        expect(results[0]?.read).toEqual({ before: 0, after: 0 });
        expect(results[1]).toEqual({ delivered: { before: 3, after: 4 }, read: { before: 3, after: 4 } });
        expect(results[2]).toEqual({ delivered: { before: 0, after: 0 }, read: { before: 0, after: 0 } });
        // b's two moves together take b from 0 to 3
        expect(results[0]?.delivered.before).toBe(0);
        expect(results[3]?.delivered.after).toBe(3);
        expect(await store.getMember(g.id, 'b')).toMatchObject({ deliveredSeq: 3, readSeq: 0 });
        expect(await store.getMember(g.id, 'c')).toMatchObject({ deliveredSeq: 4, readSeq: 4 });
        expect(await store.getMember(g.id, 'd')).toBeNull();
        expect(await store.advancePositions([])).toEqual([]);
        expect(await store.unreadCount(g.id, 'b')).toBe(4);
        expect(await store.unreadCount(g.id, 'c')).toBe(0);
      });

      it('advanceDeliveredSeq only moves forward, is clamped to the last seq and leaves the read position', async () => {
        await users('a', 'b');
        const dm = dmConversationId('a', 'b');
        await store.ensureDm(dm, 'a', 'b', T0);
        for (let i = 0; i < 4; i++) await append1(msg(dm, 'a'));

        expect(await store.advanceDeliveredSeq(dm, 'b', 2)).toEqual({ before: 0, after: 2 });
        expect(await store.getMember(dm, 'b')).toMatchObject({ deliveredSeq: 2, readSeq: 0 });
        expect(await store.advanceDeliveredSeq(dm, 'b', 1)).toEqual({ before: 2, after: 2 });
        expect(await store.advanceDeliveredSeq(dm, 'b', 99)).toEqual({ before: 2, after: 4 });
        expect(await store.getMember(dm, 'b')).toMatchObject({ deliveredSeq: 4, readSeq: 0 });
        expect(await store.unreadCount(dm, 'b')).toBe(4);

        // reading drags delivery along, never back
        await append1(msg(dm, 'a'));
        expect(await store.advanceReadSeq(dm, 'b', 5)).toEqual({ before: 0, after: 5 });
        expect(await store.getMember(dm, 'b')).toMatchObject({ deliveredSeq: 5, readSeq: 5 });
        expect(await store.advanceDeliveredSeq(dm, 'b', 3)).toEqual({ before: 5, after: 5 });
      });

      it("advanceDeliveredSeq: a sender's own message counts as delivered to them; non-members stay at 0", async () => {
        await users('a', 'b', 'x');
        const g = await group('a', ['b']);
        await store.appendMessages([msg(g.id, 'b'), msg(g.id, 'a'), msg(g.id, 'b')]);
        expect(await store.getMember(g.id, 'a')).toMatchObject({ deliveredSeq: 2, readSeq: 2 });
        expect(await store.getMember(g.id, 'b')).toMatchObject({ deliveredSeq: 3, readSeq: 3 });
        expect(await store.advanceDeliveredSeq(g.id, 'a', 3)).toEqual({ before: 2, after: 3 });
        expect(await store.advanceDeliveredSeq(g.id, 'x', 3)).toEqual({ before: 0, after: 0 });
        expect(await store.advanceDeliveredSeq('g:404', 'a', 3)).toEqual({ before: 0, after: 0 });
        expect(await store.getMember(g.id, 'x')).toBeNull();
      });

      it('sendersBetween lists the distinct senders of after < seq <= upTo', async () => {
        await users('a', 'b', 'c');
        const g = await group('a', ['b', 'c']);
        await store.appendMessages([msg(g.id, 'a'), msg(g.id, 'b'), msg(g.id, 'b'), msg(g.id, 'c'), msg(g.id, 'a')]);
        expect(sorted(await store.sendersBetween(g.id, 0, 5))).toEqual(['a', 'b', 'c']);
        expect(sorted(await store.sendersBetween(g.id, 1, 3))).toEqual(['b']);
        expect(sorted(await store.sendersBetween(g.id, 1, 4))).toEqual(['b', 'c']);
        expect(sorted(await store.sendersBetween(g.id, 4, 100))).toEqual(['a']);
        expect(await store.sendersBetween(g.id, 3, 3)).toEqual([]);
        expect(await store.sendersBetween(g.id, 4, 2)).toEqual([]);
        expect(await store.sendersBetween(g.id, 5, 9)).toEqual([]);
        expect(await store.sendersBetween('g:404', 0, 9)).toEqual([]);
      });
    });

    // ---------------------------------------------------------------- devices

    describe('devices', () => {
      it('upsertDevice registers a device with defaults; getDevice reads it back; unknown devices are null', async () => {
        await users('a');
        const d = await store.upsertDevice('a', 'phone', {}, T0 + 5);
        expect(d).toEqual({
          userId: 'a',
          deviceId: 'phone',
          name: null,
          type: 'other',
          platform: null,
          appVersion: null,
          pushToken: null,
          createdAt: T0 + 5,
          lastSeenAt: T0 + 5,
          revokedAt: null,
        });
        expect(await store.getDevice('a', 'phone')).toEqual(d);
        expect(await store.getDevice('a', 'laptop')).toBeNull();
        expect(await store.getDevice('b', 'phone')).toBeNull();
      });

      it('upsertDevice again refreshes the details given and last seen, keeping the others and createdAt', async () => {
        await users('a');
        await store.upsertDevice(
          'a',
          'phone',
          { name: 'Pixel', type: 'mobile', platform: 'android', appVersion: '1.0', pushToken: 'tok-1' },
          T0,
        );
        const d = await store.upsertDevice('a', 'phone', { appVersion: '1.1', pushToken: 'tok-2' }, T0 + 100);
        expect(d).toEqual({
          userId: 'a',
          deviceId: 'phone',
          name: 'Pixel',
          type: 'mobile',
          platform: 'android',
          appVersion: '1.1',
          pushToken: 'tok-2',
          createdAt: T0,
          lastSeenAt: T0 + 100,
          revokedAt: null,
        });
        expect(await store.getDevice('a', 'phone')).toEqual(d);
      });

      it("listDevices lists one user's devices, most recently seen first", async () => {
        await users('a', 'b');
        await store.upsertDevice('a', 'old', { type: 'desktop' }, T0 + 1);
        await store.upsertDevice('a', 'new', { type: 'web' }, T0 + 3);
        await store.upsertDevice('a', 'mid', {}, T0 + 2);
        await store.upsertDevice('b', 'other', {}, T0 + 9);
        expect((await store.listDevices('a')).map((d) => d.deviceId)).toEqual(['new', 'mid', 'old']);
        await store.upsertDevice('a', 'old', {}, T0 + 10);
        expect((await store.listDevices('a')).map((d) => d.deviceId)).toEqual(['old', 'new', 'mid']);
        expect(await store.listDevices('nobody')).toEqual([]);
      });

      it('revokeDevice marks it revoked, drops its push token and its refresh tokens only; it stays revoked', async () => {
        await users('a');
        await store.upsertDevice('a', 'phone', { pushToken: 'push-1' }, T0);
        await store.upsertDevice('a', 'laptop', {}, T0);
        await store.saveRefreshToken('rt-phone-1', 'a', 'phone', T0 + 60_000);
        await store.saveRefreshToken('rt-phone-2', 'a', 'phone', T0 + 60_000);
        await store.saveRefreshToken('rt-laptop', 'a', 'laptop', T0 + 60_000);
        await store.saveRefreshToken('rt-none', 'a', null, T0 + 60_000);

        expect(await store.revokeDevice('a', 'phone', T0 + 7)).toBe(true);
        expect(await store.getDevice('a', 'phone')).toMatchObject({ revokedAt: T0 + 7, pushToken: null });
        expect(await store.consumeRefreshToken('rt-phone-1', T0)).toBeNull();
        expect(await store.consumeRefreshToken('rt-phone-2', T0)).toBeNull();
        expect(await store.consumeRefreshToken('rt-laptop', T0)).toEqual({ userId: 'a', deviceId: 'laptop' });
        expect(await store.consumeRefreshToken('rt-none', T0)).toEqual({ userId: 'a', deviceId: null });
        expect(await store.getDevice('a', 'laptop')).toMatchObject({ revokedAt: null });

        // revoking again keeps the first time; refreshing a revoked device does not un-revoke it
        expect(await store.revokeDevice('a', 'phone', T0 + 9)).toBe(true);
        const again = await store.upsertDevice('a', 'phone', { name: 'back' }, T0 + 10);
        expect(again).toMatchObject({ revokedAt: T0 + 7, name: 'back', lastSeenAt: T0 + 10 });
        expect(await store.revokeDevice('a', 'unknown', T0)).toBe(false);
        expect(await store.revokeDevice('nobody', 'phone', T0)).toBe(false);
      });
    });

    // ---------------------------------------------------------------- notifications

    describe('notifications', () => {
      const note = (title: string, data: Record<string, unknown> | null = null) => ({
        type: 'system.test',
        title,
        body: `${title} body`,
        data,
        link: data ? 'https://app.test/x' : null,
      });

      it('createNotifications stores one per user, in the order of the user ids, unread', async () => {
        await users('a', 'b', 'c');
        const created = await store.createNotifications(['c', 'a', 'b'], note('hello', { k: [1, 'ü'] }), T0 + 1);
        expect(created.map((n) => n.userId)).toEqual(['c', 'a', 'b']);
        expect(new Set(created.map((n) => n.id)).size).toBe(3);
        for (const n of created) {
          expect(n).toMatchObject({
            type: 'system.test',
            title: 'hello',
            body: 'hello body',
            data: { k: [1, 'ü'] },
            link: 'https://app.test/x',
            createdAt: T0 + 1,
            readAt: null,
          });
          expect(await store.listNotifications(n.userId, { limit: 10, unreadOnly: false })).toEqual([n]);
        }
        expect(await store.createNotifications([], note('none'), T0)).toEqual([]);
      });

      it('listNotifications: newest first, paged with an id cursor, unread only on request, per user', async () => {
        await users('a', 'b');
        const made = [];
        for (let i = 0; i < 5; i++) made.push(...(await store.createNotifications(['a'], note(`n${i}`), T0 + i)));
        await store.createNotifications(['b'], note('for b'), T0);
        const ids = made.map((n) => n.id);

        const all = await store.listNotifications('a', { limit: 10, unreadOnly: false });
        expect(all.map((n) => n.title)).toEqual(['n4', 'n3', 'n2', 'n1', 'n0']);
        const page1 = await store.listNotifications('a', { limit: 2, unreadOnly: false });
        expect(page1.map((n) => n.title)).toEqual(['n4', 'n3']);
        const page2 = await store.listNotifications('a', { before: page1[1]?.id, limit: 2, unreadOnly: false });
        expect(page2.map((n) => n.title)).toEqual(['n2', 'n1']);
        const last = await store.listNotifications('a', { before: ids[0], limit: 2, unreadOnly: false });
        expect(last).toEqual([]);
        // a cursor that names no id is no cursor
        expect(await store.listNotifications('a', { before: 'abc', limit: 1, unreadOnly: false })).toHaveLength(1);

        await store.markNotificationsRead('a', [ids[4] as string, ids[2] as string], T0 + 50);
        const unread = await store.listNotifications('a', { limit: 10, unreadOnly: true });
        expect(unread.map((n) => n.title)).toEqual(['n3', 'n1', 'n0']);
        const read = (await store.listNotifications('a', { limit: 10, unreadOnly: false }))[0];
        expect(read).toMatchObject({ title: 'n4', readAt: T0 + 50 });
        expect((await store.listNotifications('b', { limit: 10, unreadOnly: false })).map((n) => n.title)).toEqual([
          'for b',
        ]);
      });

      it('markNotificationsRead marks the named (or all) unread ones of the user only, and counts them', async () => {
        await users('a', 'b');
        const mine = await store.createNotifications(['a', 'a', 'a'], note('x'), T0);
        const theirs = await store.createNotifications(['b'], note('y'), T0);
        expect(await store.unreadNotificationCount('a')).toBe(3);

        const first = (mine[0] as { id: string }).id;
        const second = (mine[1] as { id: string }).id;
        expect(await store.markNotificationsRead('a', [first, (theirs[0] as { id: string }).id, 'nope'], T0 + 1)).toBe(
          1,
        );
        expect(await store.unreadNotificationCount('a')).toBe(2);
        expect(await store.unreadNotificationCount('b')).toBe(1);
        // already read: not counted again, and its read time stays
        expect(await store.markNotificationsRead('a', [first, second], T0 + 2)).toBe(1);
        expect(await store.markNotificationsRead('a', [], T0 + 3)).toBe(0);
        expect(await store.markNotificationsRead('a', null, T0 + 4)).toBe(1);
        expect(await store.markNotificationsRead('a', null, T0 + 5)).toBe(0);
        expect(await store.unreadNotificationCount('a')).toBe(0);
        const readAts = (await store.listNotifications('a', { limit: 10, unreadOnly: false })).map((n) => n.readAt);
        expect(readAts).toEqual([T0 + 4, T0 + 2, T0 + 1]);
        expect(await store.unreadNotificationCount('b')).toBe(1);
        expect(await store.unreadNotificationCount('nobody')).toBe(0);
      });
    });

    // ---------------------------------------------------------------- soft delete

    describe('the change stream (C5)', () => {
      it('every change of a conversation takes its next revision: messages, deletions, members, group edits', async () => {
        await users('o', 'a', 'b');
        const g = await group('o', ['a']);
        expect(g.lastRev).toBe(0);
        const [m1, m2] = await store.appendMessages([msg(g.id, 'o'), msg(g.id, 'a')]);
        expect([m1?.message.rev, m2?.message.rev]).toEqual([1, 2]);
        expect(await store.addMembers(g.id, ['b'], 'member', now())).toEqual([{ userId: 'b', rev: 3 }]);
        const deleted = await store.softDeleteMessage(m1?.message.id as string, now());
        expect(deleted?.rev).toBe(4);
        // deleting again is no new change
        expect((await store.softDeleteMessage(m1?.message.id as string, now()))?.rev).toBe(4);
        expect(await store.setRole(g.id, 'a', 'admin', now())).toBe(5);
        expect((await store.updateGroup(g.id, { name: 'renamed' }, now()))?.lastRev).toBe(6);
        const [m3] = await store.appendMessages([msg(g.id, 'b')]);
        expect(m3?.message).toMatchObject({ seq: 3, rev: 7 });
        expect(await store.removeMember(g.id, 'b', now())).toBe(8);
        expect((await store.getConversation(g.id))?.lastRev).toBe(8);
        expect((await store.getMessage(m2?.message.id as string))?.rev).toBe(2);

        const all = await store.changesSince(g.id, 0, 100);
        expect(all.lastRev).toBe(8);
        // each message once, in its current state, ordered by the revision of its last change
        expect(all.messages.map((m) => [m.seq, m.rev, m.deletedAt !== undefined])).toEqual([
          [2, 2, false],
          [1, 4, true],
          [3, 7, false],
        ]);
        expect(all.changes.map((c) => [c.rev, c.kind, c.userId, c.role])).toEqual([
          [3, 'member.added', 'b', 'member'],
          [5, 'member.role', 'a', 'admin'],
          [6, 'group.updated', null, null],
          [8, 'member.removed', 'b', null],
        ]);
        const later = await store.changesSince(g.id, 4, 100);
        expect(later.messages.map((m) => m.rev)).toEqual([7]);
        expect(later.changes.map((c) => c.rev)).toEqual([5, 6, 8]);
        expect(await store.changesSince(g.id, 8, 100)).toEqual({ messages: [], changes: [], lastRev: 8 });
        expect((await store.changesSince(g.id, 0, 1)).messages).toHaveLength(1);
      });

      it('a DM counts revisions with its messages; the list and the history carry them', async () => {
        await users('a', 'b');
        const dm = dmConversationId('a', 'b');
        await store.ensureDm(dm, 'a', 'b', T0);
        await store.appendMessages([msg(dm, 'a'), msg(dm, 'b'), msg(dm, 'a')]);
        const [row] = await store.listUserConversations('a');
        expect(row?.conversation).toMatchObject({ lastSeq: 3, lastRev: 3 });
        expect(row?.lastMessage?.rev).toBe(3);
        const page = await store.history(dm, { limit: 10 });
        expect(page.messages.map((m) => m.rev)).toEqual([1, 2, 3]);
      });
    });

    describe('softDeleteMessage', () => {
      it('keeps the message in its place with content withheld; readers see the same record', async () => {
        await users('a', 'b');
        const dm = dmConversationId('a', 'b');
        await store.ensureDm(dm, 'a', 'b', T0);
        const first = await append1(msg(dm, 'a', { text: 'keep' }));
        const gone = await append1(msg(dm, 'a', { text: 'secret', metadata: { x: 1 } }));
        await append1(msg(dm, 'a', { text: 'after' }));

        const at = now();
        const deleted = await store.softDeleteMessage(gone.message.id, at);
        expect(deleted).toEqual({ ...gone.message, text: '', metadata: null, deletedAt: at, rev: 4 });
        expect(await store.getMessage(gone.message.id)).toEqual(deleted);
        const page = await store.history(dm, { limit: 10 });
        expect(seqs(page.messages)).toEqual([1, 2, 3]);
        expect(page.messages[1]).toEqual(deleted);
        expect(page.messages[0]).toEqual(first.message);
        expect(page.messages[0]).not.toHaveProperty('deletedAt');

        // deleting again keeps the first deletion time
        expect(await store.softDeleteMessage(gone.message.id, now())).toEqual(deleted);
        expect(await store.softDeleteMessage('999999', now())).toBeNull();
        expect(await store.softDeleteMessage('abc', now())).toBeNull();
      });

      it('unread counts do not count deleted messages; the last message shows as deleted', async () => {
        await users('a', 'b');
        const dm = dmConversationId('a', 'b');
        await store.ensureDm(dm, 'a', 'b', T0);
        await append1(msg(dm, 'a'));
        const last = await append1(msg(dm, 'a', { text: 'oops' }));
        expect(await store.unreadCount(dm, 'b')).toBe(2);
        await store.softDeleteMessage(last.message.id, now());
        expect(await store.unreadCount(dm, 'b')).toBe(1);
        expect(await store.totalUnread('b')).toBe(1);
        const [row] = await store.listUserConversations('b');
        expect(row?.unreadCount).toBe(1);
        expect(row?.lastMessage).toMatchObject({ id: last.message.id, text: '', deletedAt: expect.any(Number) });
        expect(row?.conversation.lastSeq).toBe(2);
      });
    });

    // ---------------------------------------------------------------- lifecycle

    describe('lifecycle', () => {
      it('ping resolves on an open store', async () => {
        await expect(store.ping()).resolves.toBeUndefined();
        expect(typeof store.kind).toBe('string');
      });

      it('close() then ping() rejects', async () => {
        await store.close();
        await expect(store.ping()).rejects.toThrow();
      });
    });
  });
}

/** A small seeded PRNG (mulberry32), so the property test is deterministic. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
