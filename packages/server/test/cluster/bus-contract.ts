import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Bus, BusMessage } from '../../src/cluster/bus.js';
import type { DomainEvent } from '../../src/services/events.js';

/**
 * What every Bus must do, tested through the interface only, with several nodes (one Bus per node; for the
 * in-process bus, the nodes share one instance, as apps in one process do). `gap` messages are the bus's own
 * signal and may appear at any time; the recorders leave them out.
 */
export function registerBusContract(
  name: string,
  open: (nodes: number) => Promise<{ buses: Bus[]; cleanup: () => Promise<void> }>,
): void {
  describe(`Bus contract: ${name}`, () => {
    let buses: Bus[];
    let cleanup: () => Promise<void>;
    beforeEach(async () => {
      ({ buses, cleanup } = await open(3));
    }, 30_000);
    afterEach(async () => {
      await cleanup();
    }, 30_000);

    /** Records what one node receives, and waits for it. */
    class Recorder {
      readonly got: BusMessage[] = [];
      private waiters: (() => void)[] = [];
      constructor(bus: Bus) {
        bus.subscribe((m) => {
          if (m.kind === 'gap') return;
          this.got.push(m);
          for (const w of this.waiters.splice(0)) w();
        });
      }
      async until(done: (got: BusMessage[]) => boolean, what: string, timeoutMs = 15_000): Promise<void> {
        const deadline = Date.now() + timeoutMs;
        while (!done(this.got)) {
          const left = deadline - Date.now();
          if (left <= 0) throw new Error(`timed out waiting for ${what}; got ${this.got.length} messages`);
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, left);
            this.waiters.push(() => {
              clearTimeout(timer);
              resolve();
            });
          });
        }
      }
    }

    const marker = (node: number, n: number): BusMessage => ({
      kind: 'members-changed',
      conversationId: `m:${node}:${n}`,
    });
    const isMarker = (m: BusMessage, node: number, n: number) =>
      m.kind === 'members-changed' && m.conversationId === `m:${node}:${n}`;

    /** Each node publishes a marker and waits until every recorder has every marker: all earlier messages are in. */
    async function barrier(recorders: Recorder[], round: number): Promise<void> {
      for (const [i, b] of buses.entries()) b.publish(marker(i, round));
      await Promise.all(
        recorders.map((r, j) =>
          r.until((got) => buses.every((_, i) => got.some((m) => isMarker(m, i, round))), `markers at node ${j}`),
        ),
      );
    }
    const withoutMarkers = (got: BusMessage[]) =>
      got.filter((m) => !(m.kind === 'members-changed' && m.conversationId.startsWith('m:')));

    const event = (text: string): DomainEvent => ({
      type: 'typing',
      conversationId: 'g:1',
      userId: text,
      state: 'start',
      context: null,
      expiresInMs: 5_000,
    });

    it('B1: deliver, members-changed and device-revoked reach every node exactly once, the publisher included', async () => {
      const recorders = buses.map((b) => new Recorder(b));
      const sent: BusMessage[] = [];
      for (const [i, bus] of buses.entries()) {
        const ms: BusMessage[] = [
          { kind: 'deliver', to: [`u${i}`, 'shared'], event: event(`from ${i}`) },
          { kind: 'members-changed', conversationId: `g:${i + 10}` },
          { kind: 'device-revoked', userId: `u${i}`, deviceId: `d${i}` },
        ];
        for (const m of ms) bus.publish(m);
        sent.push(...ms);
      }
      await barrier(recorders, 1);
      for (const r of recorders) {
        const got = withoutMarkers(r.got);
        expect(got).toHaveLength(sent.length);
        for (const m of sent) expect(got.filter((g) => JSON.stringify(g) === JSON.stringify(m))).toHaveLength(1);
      }
    });

    it("B2: a node's own messages reach its subscribers synchronously, inside publish()", () => {
      const bus = buses[0] as Bus;
      const got: BusMessage[] = [];
      bus.subscribe((m) => {
        if (m.kind !== 'gap') got.push(m);
      });
      const m: BusMessage = { kind: 'deliver', to: ['a'], event: event('sync') };
      bus.publish(m);
      expect(got).toEqual([m]);
    });

    it('B3: each node receives the messages of each publisher in publish order, across ticks', async () => {
      const recorders = buses.map((b) => new Recorder(b));
      const perNode = 400;
      for (let n = 0; n < perNode; n++) {
        for (const [i, bus] of buses.entries()) bus.publish({ kind: 'deliver', to: ['x'], event: event(`${i}:${n}`) });
        if (n % 50 === 0) await new Promise((r) => setImmediate(r));
      }
      await barrier(recorders, 2);
      for (const r of recorders) {
        const byPublisher = new Map<string, number[]>();
        for (const m of withoutMarkers(r.got)) {
          if (m.kind !== 'deliver' || m.event.type !== 'typing') continue;
          const [from, n] = m.event.userId.split(':') as [string, string];
          const list = byPublisher.get(from) ?? [];
          list.push(Number(n));
          byPublisher.set(from, list);
        }
        expect(byPublisher.size).toBe(buses.length);
        for (const list of byPublisher.values()) expect(list).toEqual(Array.from({ length: perNode }, (_, n) => n));
      }
    });

    it('B4: payloads round-trip intact: nested records, unicode, nulls, numbers and skipConnectionId', async () => {
      const recorders = buses.map((b) => new Recorder(b));
      const m: BusMessage = {
        kind: 'deliver',
        to: ['1', 'ü-✓'],
        skipConnectionId: 'conn-1',
        event: {
          type: 'message.created',
          message: {
            id: '42',
            conversationId: 'dm:1:2',
            seq: 9_007_199_254,
            rev: 9_007_199_255,
            senderId: '1',
            kind: 'text',
            text: 'héllo 👋 "quoted" \n line',
            metadata: { n: 1.5, list: [1, 'two', { three: null }], flag: false },
            replyTo: null,
            clientMsgId: 'c-1',
            createdAt: 1_700_000_000_123,
          },
          sender: {
            id: '1',
            username: 'ann',
            displayName: 'Ann ✓',
            avatarUrl: null,
            createdAt: 1,
            lastSeenAt: null,
            readReceipts: true,
          },
        },
      };
      (buses[1] as Bus).publish(m);
      await barrier(recorders, 3);
      for (const r of recorders) expect(withoutMarkers(r.got)).toEqual([m]);
    });

    it('B5: unsubscribing stops delivery to that handler only; several handlers on one node each get every message', async () => {
      const node = buses[2] as Bus;
      const a: BusMessage[] = [];
      const b: BusMessage[] = [];
      const offA = node.subscribe((m) => m.kind !== 'gap' && a.push(m));
      node.subscribe((m) => m.kind !== 'gap' && b.push(m));
      const recorders = buses.map((x) => new Recorder(x));
      (buses[0] as Bus).publish({ kind: 'members-changed', conversationId: 'g:1' });
      await barrier(recorders, 4);
      offA();
      (buses[0] as Bus).publish({ kind: 'members-changed', conversationId: 'g:2' });
      await barrier(recorders, 5);
      expect(withoutMarkers(a)).toEqual([{ kind: 'members-changed', conversationId: 'g:1' }]);
      expect(withoutMarkers(b)).toEqual([
        { kind: 'members-changed', conversationId: 'g:1' },
        { kind: 'members-changed', conversationId: 'g:2' },
      ]);
    });
  });
}
