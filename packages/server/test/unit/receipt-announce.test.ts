import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BusMessage } from '../../src/cluster/bus.js';
import { MemoryBus } from '../../src/cluster/memory-bus.js';
import type { ConversationService } from '../../src/services/conversation-service.js';
import { ReceiptAnnouncer } from '../../src/services/receipt-announcer.js';
import { ReceiptService } from '../../src/services/receipt-service.js';
import { PositionBatch } from '../../src/storage/position-batch.js';
import { createSqliteStore } from '../../src/storage/sqlite/sqlite-store.js';
import type { Store } from '../../src/storage/store.js';

const T0 = 1_700_000_000_000;

/**
 * R5 with coalesced positions: a delivery and a read of one member written together carry one move, held by the
 * first ask. If the read's follow-up reads fail (the unread counts: a database under pressure), the move must still
 * be announced. The unread read is made to fail on purpose: a fault the real store cannot be made to show on cue.
 */
describe('receipts of coalesced moves', () => {
  let dir: string;
  let store: Store;
  let group: string;
  const published: BusMessage[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'parley-ra-'));
    store = createSqliteStore({ path: join(dir, 'parley.db'), synchronous: 'normal' });
    for (const u of ['s', 'r']) await store.upsertUser({ id: u, username: u, displayName: u }, T0);
    group = (await store.createGroup({ name: 'g', description: '', avatarUrl: null, visibility: 'private' }, 's', ['r'], T0)).id;
    const base = { conversationId: group, senderId: 's', clientMsgId: null, kind: 'text', metadata: null, replyTo: null };
    await store.appendMessages([{ ...base, text: 'hi', createdAt: T0 + 1 }]);
    published.length = 0;
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('R5: a read that fails after its write still announces the move it carried for the delivery coalesced with it', async () => {
    const bus = new MemoryBus();
    bus.subscribe((m) => published.push(m));
    const failingReads = {
      ...store,
      unreadCount: () => Promise.reject(new Error('database under pressure')),
    } as Store;
    const conversations = { requireReader: async () => 'ok' } as unknown as ConversationService;
    const receipts = new ReceiptService(
      conversations,
      failingReads,
      store,
      store,
      bus,
      new PositionBatch(store),
      new ReceiptAnnouncer(store, store, bus),
    );
    // one turn: the read asks first (it gets the move), the delivery second (it gets none)
    const read = receipts.markRead('r', group, 1);
    const delivered = receipts.markDelivered('r', group, 1);
    await expect(read).rejects.toThrow('database under pressure');
    await expect(delivered).resolves.toEqual({ conversationId: group, deliveredSeq: 1 });
    await new Promise((r) => setTimeout(r, 50)); // the announcer flushes on the next turn
    const receiptsToSender = published.filter(
      (m) => m.kind === 'deliver' && m.event.type === 'receipt.updated' && m.to.includes('s'),
    );
    expect(receiptsToSender.map((m) => (m.kind === 'deliver' ? m.event : null))).toEqual([
      { type: 'receipt.updated', conversationId: group, userId: 'r', deliveredSeq: 1, readSeq: 1 },
    ]);
  });
});
