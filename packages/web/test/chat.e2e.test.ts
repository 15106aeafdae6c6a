import { rmSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { rest } from '../../server/test/helpers/rest.js';
import {
  buildWeb,
  fakeNotificationApi,
  gone,
  launchBrowser,
  PHONE,
  Person,
  screenshot,
  screenshotAll,
  shownNotifications,
  startServer,
  type TestServer,
  unlabelledControls,
  until,
  visible,
} from './kit.js';

const SERVER_KEY = 'web-test-server-key-0123456789';

let webDir: string;
let server: TestServer;
let browser: Browser;
const restartedDirs: string[] = [];
const people: Person[] = [];
const signUp = async (...args: Parameters<typeof Person.signUp> extends [Browser, string, ...infer R] ? R : never) => {
  const p = await Person.signUp(browser, server.url, ...args);
  people.push(p);
  return p;
};

beforeAll(async () => {
  webDir = await buildWeb();
  server = await startServer({ PARLEY_WEB_DIR: webDir, PARLEY_SERVER_KEY: SERVER_KEY });
  browser = await launchBrowser();
}, 120_000);

afterEach(async (ctx) => {
  if (ctx.task.result?.state === 'fail') await screenshotAll(people, ctx.task.name);
});

afterAll(async () => {
  for (const p of people.splice(0)) await p.close().catch(() => {});
  await browser?.close();
  await server?.stop();
  for (const dir of [webDir, ...restartedDirs]) if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('the web app, two people in two browsers', { timeout: 240_000 }, () => {
  it('sign up, become friends, chat both ways live with typing and read ticks; a reload keeps history and unread counts', async () => {
    const ann = await signUp('ann', 'Ann Lee', { init: fakeNotificationApi });
    const ben = await signUp('ben', 'Ben Okafor');

    await ann.addFriend(ben);
    await ben.tab('Friends');
    await visible(ben.page.getByRole('tab', { name: 'Friends 1 friend requests' }));
    await screenshot(ben.page, 'desktop-friend-request');
    await visible(ann.page.getByRole('list', { name: 'Sent friend requests' }).getByText('Ben Okafor'));
    await ben.accept(ann);
    await visible(ann.friendRow(ben).getByRole('img', { name: 'Online' }));
    await gone(ann.page.getByRole('list', { name: 'Sent friend requests' }));

    // Ann writes; Ben's client confirms delivery before he opens anything
    const annToBen = await ann.openChatWithFriend(ben);
    await visible(annToBen.getByText('Online', { exact: true }));
    await ann.say(annToBen, 'Hello Ben');
    await visible(ann.bubble(annToBen, 'Hello Ben').locator('[data-status="delivered"]'));
    await ben.tab('Chats');
    await visible(ben.conversationRow('Ann Lee').getByLabel('1 unread'));
    await visible(ben.page.getByRole('tab', { name: 'Chats 1 unread messages' }));

    // Ben opens the chat: he sees the message, Ann sees it read
    const benToAnn = await ben.openConversation('Ann Lee');
    await visible(ben.bubble(benToAnn, 'Hello Ben'));
    await visible(ann.bubble(annToBen, 'Hello Ben').locator('[data-status="read"]'));
    await gone(ben.conversationRow('Ann Lee').getByLabel(/unread/));

    // Ben types: Ann sees it; Shift+Enter makes a new line, Enter sends
    const box = benToAnn.getByRole('textbox', { name: 'Message to Ann Lee' });
    await box.pressSequentially('Hi Ann');
    await visible(annToBen.getByText('Ben Okafor is typing…'));
    await screenshot(ann.page, 'desktop-typing');
    await box.press('Shift+Enter');
    await box.pressSequentially('two lines');
    await box.press('Enter');
    const reply = ann.bubble(annToBen, 'two lines');
    await visible(reply);
    expect(await reply.locator('.text').textContent()).toBe('Hi Ann\ntwo lines');
    await gone(annToBen.getByText('Ben Okafor is typing…'));
    await visible(ben.bubble(benToAnn, 'two lines').locator('[data-status="read"]'));

    // Ann allows desktop notifications, closes the chat and puts the tab in the background
    await ann.tab('Notifications');
    await ann.page.getByRole('button', { name: 'Enable desktop notifications' }).click();
    await visible(ann.page.getByText('Desktop notifications are on.'));
    await annToBen.getByRole('button', { name: 'Close chat with Ben Okafor' }).click();
    await gone(annToBen);
    await ann.setHidden(true);
    await ben.say(benToAnn, 'one');
    await ben.say(benToAnn, 'two');
    await ann.tab('Chats');
    await visible(ann.conversationRow('Ben Okafor').getByLabel('2 unread'));
    await until(async () => (await ann.page.title()) === '(2) Parley', 'the unread count in the title');
    await until(
      async () => (await shownNotifications(ann.page)).some((n) => n.title === 'Ben Okafor' && n.body === 'two'),
      'a desktop notification',
    );
    await ann.setHidden(false);
    await until(async () => (await ann.page.title()) === 'Parley', 'the plain title');

    // a reload keeps the unread count and the whole history
    await ann.page.reload();
    await visible(ann.conversationRow('Ben Okafor').getByLabel('2 unread'));
    const again = await ann.openConversation('Ben Okafor');
    for (const text of ['Hello Ben', 'two lines', 'one', 'two']) await visible(ann.bubble(again, text));
    await visible(again.getByRole('log').getByText('Today'));
    await gone(ann.conversationRow('Ben Okafor').getByLabel(/unread/));
    await visible(ben.bubble(benToAnn, 'two').locator('[data-status="read"]'));
    expect(await ann.bubble(again, 'Hello Ben').count()).toBe(1);
  });

  it('the notification centre: a live notification, its unread count, mark read', async () => {
    const eve = await signUp('eve', 'Eve Adams');
    const id = await eve.userId();
    const send = (title: string, body: string) =>
      rest(server.app, SERVER_KEY).post('/v1/server/notifications', { user_id: id, type: 'system', title, body });
    expect((await send('Welcome to Parley', 'Add a friend by their username to start chatting.')).status).toBe(201);
    expect((await send('Maintenance tonight', 'The server restarts at 23:00 for a minute.')).status).toBe(201);
    await visible(eve.page.getByRole('button', { name: 'Notifications, 2 unread' }));
    await eve.page.getByRole('button', { name: 'Notifications, 2 unread' }).click();
    const list = eve.page.getByRole('list', { name: 'Notifications' });
    await visible(list.getByText('Maintenance tonight'));
    await eve.page.getByRole('button', { name: 'Mark “Welcome to Parley” as read' }).click();
    await visible(eve.page.getByRole('button', { name: 'Notifications, 1 unread' }));
    await screenshot(eve.page, 'desktop-notifications');
    await eve.page.getByRole('button', { name: 'Mark all read' }).click();
    await visible(eve.page.getByRole('button', { name: 'Notifications', exact: true }));
    await eve.page.reload();
    await visible(eve.page.getByRole('button', { name: 'Notifications', exact: true }));
  });

  it('offline: a message written meanwhile waits (banner, "sending") and is delivered once on reconnect', async () => {
    const cat = await signUp('cat', 'Cat Ng');
    const dan = await signUp('dan', 'Dan Brown', { viewport: PHONE });
    await cat.addFriend(dan);
    await dan.accept(cat);
    const catToDan = await cat.openChatWithFriend(dan);
    await cat.say(catToDan, 'Are you on the train?');
    await dan.tab('Chats');
    const danToCat = await dan.openConversation('Cat Ng');
    await visible(dan.bubble(danToCat, 'Are you on the train?'));

    await dan.context.setOffline(true);
    await visible(dan.page.getByText("You're offline."));
    await dan.say(danToCat, 'Yes, going into a tunnel');
    const queued = dan.bubble(danToCat, 'going into a tunnel');
    await visible(queued.locator('[data-status="sending"]'));
    await visible(dan.page.getByText('1 message waiting to be sent.'));
    await screenshot(dan.page, 'phone-offline');
    expect(await cat.bubble(catToDan, 'going into a tunnel').count()).toBe(0);

    await dan.context.setOffline(false);
    await visible(cat.bubble(catToDan, 'going into a tunnel'));
    await gone(dan.page.getByText("You're offline."));
    await visible(queued.locator('[data-status="read"]'));
    expect(await cat.bubble(catToDan, 'going into a tunnel').count()).toBe(1);
    expect(await dan.bubble(danToCat, 'going into a tunnel').count()).toBe(1);
  });
});

describe('the web app: refusals', { timeout: 240_000 }, () => {
  it('a refused message says "Not sent" with Retry and Discard; Retry sends it once the cause is gone', async () => {
    const max = await signUp('max', 'Max Roy');
    const nia = await signUp('nia', 'Nia Dube');
    await max.addFriend(nia);
    await nia.accept(max);
    const maxNia = await max.openChatWithFriend(nia);
    await max.say(maxNia, 'first');
    const niaApi = rest(server.app, await nia.accessToken());
    expect((await niaApi.put(`/v1/blocks/${await max.userId()}`)).status).toBe(204);

    await max.say(maxNia, 'are you there?');
    const refused = max.bubble(maxNia, 'are you there?');
    await visible(refused.locator('[data-status="failed"]'));
    await visible(refused.getByRole('alert').getByText('Not sent'));
    await max.say(maxNia, 'throwaway');
    await visible(max.bubble(maxNia, 'throwaway').locator('[data-status="failed"]'));
    await max.bubble(maxNia, 'throwaway').getByRole('button', { name: 'Discard' }).click();
    await gone(max.bubble(maxNia, 'throwaway'));

    expect((await niaApi.delete(`/v1/blocks/${await max.userId()}`)).status).toBe(204);
    await refused.getByRole('button', { name: 'Retry' }).click();
    await visible(refused.locator('[data-status="sent"], [data-status="delivered"], [data-status="read"]'));
    await nia.tab('Chats');
    const niaMax = await nia.openConversation('Max Roy');
    await visible(nia.bubble(niaMax, 'are you there?'));
    expect(await nia.bubble(niaMax, 'throwaway').count()).toBe(0);
  });
});

describe('the web app: history, presence and a server restart', { timeout: 240_000 }, () => {
  it('history loads a page at a time as you scroll up, in order and without duplicates', async () => {
    const hal = await signUp('hal', 'Hal Moss');
    const ivy = await signUp('ivy', 'Ivy Chen');
    await hal.addFriend(ivy);
    await ivy.accept(hal);
    const conversation = [await hal.userId(), await ivy.userId()].sort().join(':');
    const id = `dm:${conversation}`;
    const halApi = rest(server.app, await hal.accessToken());
    for (let i = 1; i <= 70; i++) {
      const res = await halApi.post(`/v1/conversations/${id}/messages`, { text: `note ${i}`, client_msg_id: `n${i}` });
      expect(res.status).toBe(201);
    }
    // Ivy has read them all (elsewhere): after a reload nothing is replayed, so the window pages history
    expect(
      (await rest(server.app, await ivy.accessToken()).post(`/v1/conversations/${id}/read`, { seq: 70 })).status,
    ).toBe(200);
    await ivy.page.reload();
    const w = await ivy.openConversation('Hal Moss');
    await visible(ivy.bubble(w, 'note 70'));
    expect(await ivy.bubble(w, 'note 1').count()).toBe(0);
    const scroller = w.locator('.messages');
    await until(async () => {
      await scroller.evaluate((el) => {
        el.scrollTop = 0;
      });
      return (await w.getByText('Start of the conversation').count()) > 0;
    }, 'paging back to the first message');
    const texts = await w.locator('.message .text').allTextContents();
    expect(texts).toEqual(Array.from({ length: 70 }, (_, i) => `note ${i + 1}`));
  });

  it('presence: the status Ann picks is what Ben sees', async () => {
    const ann = await signUp('ann2', 'Ann Two');
    const ben = await signUp('ben2', 'Ben Two');
    await ann.addFriend(ben);
    await ben.accept(ann);
    await visible(ben.friendRow(ann).getByRole('img', { name: 'Online' }));
    await ann.page.getByLabel('Your status').selectOption('busy');
    await visible(ben.friendRow(ann).getByRole('img', { name: 'Busy' }));
    await ann.page.getByLabel('Your status').selectOption('away');
    await visible(ben.friendRow(ann).getByRole('img', { name: 'Away' }));
    await ann.page.reload(); // the choice is kept for this browser
    await visible(ann.page.getByRole('button', { name: 'Profile and settings' }));
    expect(await ann.page.getByLabel('Your status').inputValue()).toBe('away');
    await visible(ben.friendRow(ann).getByRole('img', { name: 'Away' }));
    await ann.close();
    await visible(ben.friendRow(ann).getByRole('img', { name: 'Offline' }));
    expect(await unlabelledControls(ben.page)).toEqual([]);

    // by keyboard alone: arrow keys move between the tabs, Enter opens a chat, the composer has the focus
    await ben.page.getByRole('tab', { name: /^Chats/ }).focus();
    await ben.page.keyboard.press('ArrowRight');
    await visible(ben.page.getByRole('tab', { name: /^Friends/, selected: true }));
    await ben.page.getByRole('button', { name: 'Chat with Ann Two' }).focus();
    await ben.page.keyboard.press('Enter');
    await visible(ben.window('Ann Two'));
    await ben.page.keyboard.type('typed without a mouse');
    await ben.page.keyboard.press('Enter');
    await visible(ben.bubble(ben.window('Ann Two'), 'typed without a mouse').locator('[data-status="sent"]'));
    expect(await unlabelledControls(ben.page)).toEqual([]);
  });

  it('a server restart: "Reconnecting…", a message written meanwhile is sent once it is back', async () => {
    const kim = await signUp('kim', 'Kim Park');
    const lee = await signUp('lee', 'Lee Adams');
    await kim.addFriend(lee);
    await lee.accept(kim);
    const kimLee = await kim.openChatWithFriend(lee);
    await kim.say(kimLee, 'before the restart');
    const leeKim = await lee.openConversation('Kim Park');
    await visible(lee.bubble(leeKim, 'before the restart'));

    await server.app.stop();
    await visible(kim.page.getByText('Reconnecting…'));
    await kim.say(kimLee, 'during the restart');
    await visible(kim.bubble(kimLee, 'during the restart').locator('[data-status="sending"]'));
    const stopped = server;
    server = await stopped.restart(); // same port, same data
    restartedDirs.push(stopped.dataDir);
    await visible(lee.bubble(leeKim, 'during the restart'));
    await gone(kim.page.getByText('Reconnecting…'));
    await visible(kim.bubble(kimLee, 'during the restart').locator('[data-status="read"]'));
    expect(await lee.bubble(leeKim, 'during the restart').count()).toBe(1);
  });
});
