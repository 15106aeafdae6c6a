import { rmSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rest } from '../../server/test/helpers/rest.js';
import { hostUser } from '../../server/test/helpers/users.js';
import { IoClient } from '../../server/test/seeds/helpers/io-client.js';
import { type Frame, runSeedScript, ScriptEnv } from '../../server/test/seeds/helpers/seed-script.js';
import { buildWeb, launchBrowser, Person, startServer, type TestServer, until, visible } from './kit.js';

/**
 * Issue 8's interop with a person in the web app: one group where a browser user (canonical protocol through the
 * SDK), seed 000's own MessageClient and a seed 002 Socket.IO client see each other's messages, receipts and presence.
 */
let webDir: string;
let server: TestServer;
let browser: Browser;
let wendy: Person;
const env = new ScriptEnv();
let bob: IoClient | null = null;

beforeAll(async () => {
  webDir = await buildWeb();
  server = await startServer({ PARLEY_WEB_DIR: webDir });
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  bob?.close();
  env.dispose();
  await wendy?.close().catch(() => {});
  await browser?.close();
  await server?.stop();
  if (webDir) rmSync(webDir, { recursive: true, force: true });
}, 60_000);

describe('interop with the web app', { timeout: 240_000 }, () => {
  it('a web app user, seed 000’s MessageClient and a seed 002 Socket.IO client share one group', async () => {
    const alice = await hostUser(server.app, '1', 'alice');
    const bobUser = await hostUser(server.app, '2', 'bob');
    wendy = await Person.signUp(browser, server.url, 'wendy', 'Wendy Web');
    const wendyId = await wendy.userId();
    const created = await rest(server.app, alice.token).post('/v1/groups', {
      name: 'Interop',
      member_ids: [2, wendyId],
    });
    const groupId = (created.body as { group: { id: number } }).group.id;
    const group = `g:${groupId}`;

    // seed 000: the README's MessageClient, unchanged
    const { MessageClient } = runSeedScript<{ MessageClient: new (url: string, token: string) => never }>(
      'seed000-message-client.js.txt',
      { globals: env.globals(), exports: ['MessageClient'] },
    );
    const seed000 = new MessageClient(`ws://127.0.0.1:${server.port}/ws`, alice.token) as unknown as {
      authenticated: boolean;
      connect(): void;
      onMessage(h: (m: Frame) => void): void;
      sendGroupMessage(g: number, c: string): void;
    };
    const aliceGot: Frame[] = [];
    seed000.onMessage((m) => aliceGot.push(m));
    seed000.connect();
    await until(() => seed000.authenticated, 'seed 000 authenticated');

    // seed 002: Socket.IO, register with a device
    bob = await IoClient.connect(`http://127.0.0.1:${server.port}`, { transports: ['websocket'] });
    expect(await bob.request('register', { user_id: 2, token: bobUser.token, device_id: 'bob-pc' })).toMatchObject({
      success: true,
    });

    // the web app user sees a message from seed 000 ...
    const w = await wendy.openConversation('Interop');
    seed000.sendGroupMessage(groupId, 'hello from seed 000');
    await visible(wendy.bubble(w, 'hello from seed 000'));
    // ... and one from seed 002
    expect(
      await bob.request('send_message', { session_id: group, message: 'hello from seed 002', role: 'user' }),
    ).toMatchObject({ success: true });
    await visible(wendy.bubble(w, 'hello from seed 002'));

    // the web app's message reaches both seeds
    await wendy.say(w, 'hello from the web app');
    await until(
      () => aliceGot.some((m) => m.content === 'hello from the web app' && m.group_id === groupId),
      'seed 000 got it',
    );
    const atBob = await bob.next('new_message', (m) => m.text === 'hello from the web app' && m.session_id === group);
    expect(atBob).toMatchObject({ session_id: group, from_user_id: wendyId });

    // receipts: the web app has the group open, so it reads bob's message: seed 002 sees message_status "read"
    await bob.next('message_status', (s) => s.status === 'read');
    // and bob reads the web app's message: its sender sees "Read by 1 of 2" on it
    await bob.request('message_read', { message_id: atBob.id, user_id: 2 });
    await visible(wendy.bubble(w, 'hello from the web app').getByText(/Read by 1 of 2/));

    // presence: seed 000's presence API sees the web user online
    const online = await rest(server.app, alice.token).get(`/messages/online?user_ids=${wendyId}`);
    expect(online.body).toEqual({ success: true, result: { online_users: { [wendyId]: true } } });
  });
});
