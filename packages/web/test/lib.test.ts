import type { TimelineEntry } from '@parley/client';
import type { WireMessage, WireNotification } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import type { Api } from '../src/lib/api.js';
import { dayKey, dayLabel, initials, listTime, presenceText } from '../src/lib/format.js';
import { NotificationsStore } from '../src/lib/notifications.js';
import { rows } from '../src/lib/timeline.js';
import { closeWindow, fitWindows, openWindow, toggleMinimised, windowsThatFit } from '../src/lib/windows.js';

const message = (seq: number, sender: string, at: string): TimelineEntry => ({
  kind: 'message',
  status: null,
  message: {
    id: `m${seq}`,
    conversation_id: 'g:1',
    seq,
    sender_id: sender,
    kind: 'text',
    text: `text ${seq}`,
    metadata: null,
    reply_to: null,
    client_msg_id: null,
    created_at: at,
    rev: seq,
  } satisfies WireMessage,
});

describe('chat windows', () => {
  it('open at most `max`, newest last, dropping the oldest; reopening brings one forward and restores it', () => {
    let w = openWindow([], 'a', 3);
    w = openWindow(w, 'b', 3);
    w = toggleMinimised(w, 'a');
    expect(w).toEqual([
      { conversationId: 'a', minimised: true },
      { conversationId: 'b', minimised: false },
    ]);
    w = openWindow(w, 'c', 3);
    w = openWindow(w, 'd', 3);
    expect(w.map((x) => x.conversationId)).toEqual(['b', 'c', 'd']);
    w = openWindow(w, 'b', 3);
    expect(w.map((x) => x.conversationId)).toEqual(['c', 'd', 'b']);
    expect(closeWindow(w, 'd').map((x) => x.conversationId)).toEqual(['c', 'b']);
    expect(fitWindows(w, 1).map((x) => x.conversationId)).toEqual(['b']);
  });

  it('three windows fit at 1280 px, two at 1024, one just above the narrow layout', () => {
    expect(windowsThatFit(1280)).toBe(3);
    expect(windowsThatFit(1920)).toBe(3);
    expect(windowsThatFit(1024)).toBe(2);
    expect(windowsThatFit(721)).toBe(1);
  });
});

describe('timeline rows', () => {
  it('a day separator per calendar day; the sender shown on the first of a run of others’ messages', () => {
    const day1 = new Date(2026, 2, 3, 9, 0).toISOString();
    const day1b = new Date(2026, 2, 3, 9, 5).toISOString();
    const day2 = new Date(2026, 2, 4, 8, 0).toISOString();
    const out = rows(
      [message(1, 'ann', day1), message(2, 'ann', day1b), message(3, 'me', day1b), message(4, 'ann', day2)],
      'me',
      dayKey,
      (iso) => dayKey(iso),
    );
    expect(out.map((r) => (r.type === 'day' ? `day ${r.label}` : `${r.senderId}${r.showSender ? '*' : ''}`))).toEqual([
      'day 2026-03-03',
      'ann*',
      'ann',
      'me',
      'day 2026-03-04',
      'ann*',
    ]);
  });
});

describe('formatting', () => {
  const now = new Date(2026, 5, 15, 12, 0).getTime();
  it('day labels and list times', () => {
    expect(dayLabel(new Date(2026, 5, 15, 8).toISOString(), now)).toBe('Today');
    expect(dayLabel(new Date(2026, 5, 14, 23).toISOString(), now)).toBe('Yesterday');
    expect(listTime(new Date(2026, 5, 15, 8, 7).toISOString(), now)).toBe('08:07');
    expect(listTime(new Date(2026, 5, 14, 8, 7).toISOString(), now)).toBe('Yesterday');
  });

  it('presence text and initials', () => {
    expect(presenceText({ user_id: 1, status: 'busy', last_seen: null }, now)).toBe('Busy');
    const fiveMinutesAgo = new Date(now - 5 * 60_000).toISOString();
    expect(presenceText({ user_id: 1, status: 'offline', last_seen: fiveMinutesAgo }, now)).toBe('Last seen 5 min ago');
    expect(presenceText(undefined, now)).toBe('Offline');
    expect(initials('Ann Lee')).toBe('AL');
    expect(initials('ben')).toBe('B');
    expect(initials('Mary Ann de la Cruz')).toBe('MC');
    expect(initials('  ')).toBe('?');
  });
});

describe('notification centre', () => {
  const note = (id: string): WireNotification => ({
    id,
    type: 'system',
    title: `n${id}`,
    body: '',
    data: null,
    link: null,
    created_at: '2026-11-21T10:00:00.000Z',
    read_at: null,
  });
  /** The inbox endpoint, answering each call when the test says so (a slow network). */
  const slowInbox = () => {
    const answers: ((r: { notifications: WireNotification[]; unread_count: number }) => void)[] = [];
    const api = { notifications: () => new Promise((resolve) => answers.push(resolve)) } as unknown as Api;
    return {
      api,
      answer: (i: number, list: WireNotification[]) => answers[i]?.({ notifications: list, unread_count: list.length }),
    };
  };

  it('keeps a notification pushed while the inbox loads, even when the answer was read before it was stored', async () => {
    const inbox = slowInbox();
    const store = new NotificationsStore(inbox.api, () => {});
    const loading = store.load();
    expect(store.received(note('2'))).toBe(true);
    inbox.answer(0, [note('1')]); // read before notification 2 existed
    await loading;
    expect(store.list.map((n) => n.id)).toEqual(['2', '1']);
    expect(store.unread).toBe(2);
    expect(store.received(note('2'))).toBe(false);
  });

  it('counts a pushed notification once when the answer already has it, and applies only the newest of two loads', async () => {
    const inbox = slowInbox();
    const store = new NotificationsStore(inbox.api, () => {});
    const first = store.load();
    const second = store.load(); // a reconnect while the first load is still out
    store.received(note('3'));
    inbox.answer(1, [note('3'), note('2'), note('1')]);
    await second;
    inbox.answer(0, [note('1')]); // older, answered last: ignored
    await first;
    expect(store.list.map((n) => n.id)).toEqual(['3', '2', '1']);
    expect(store.unread).toBe(3);
  });
});
