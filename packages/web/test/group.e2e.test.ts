import { rmSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  buildWeb,
  gone,
  horizontalOverflow,
  launchBrowser,
  PHONE,
  Person,
  screenshot,
  screenshotAll,
  startServer,
  type TestServer,
  unlabelledControls,
  visible,
} from './kit.js';

let webDir: string;
let server: TestServer;
let browser: Browser;
const people: Person[] = [];
const signUp = async (...args: Parameters<typeof Person.signUp> extends [Browser, string, ...infer R] ? R : never) => {
  const p = await Person.signUp(browser, server.url, ...args);
  people.push(p);
  return p;
};

beforeAll(async () => {
  webDir = await buildWeb();
  server = await startServer({ PARLEY_WEB_DIR: webDir });
  browser = await launchBrowser();
}, 120_000);

afterEach(async (ctx) => {
  if (ctx.task.result?.state === 'fail') await screenshotAll(people, ctx.task.name);
});

afterAll(async () => {
  for (const p of people.splice(0)) await p.close().catch(() => {});
  await browser?.close();
  await server?.stop();
  if (webDir) rmSync(webDir, { recursive: true, force: true });
}, 60_000);

describe('the web app: groups, docked windows, small screens', { timeout: 300_000 }, () => {
  it('a group of three: create, chat, "read by N of M", members with roles, rename, remove, add back, leave', async () => {
    const ann = await signUp('ann', 'Ann Lee');
    const ben = await signUp('ben', 'Ben Okafor');
    const cat = await signUp('cat', 'Cat Ng');
    await ann.addFriend(ben);
    await ann.addFriend(cat);
    await ben.accept(ann);
    await cat.accept(ann);

    await ann.tab('Chats');
    await ann.page.getByRole('button', { name: 'New group' }).click();
    const dialog = ann.page.getByRole('dialog', { name: 'New group' });
    await dialog.getByLabel('Group name').fill('Weekend trip');
    await dialog.getByRole('checkbox', { name: 'Ben Okafor' }).check();
    await dialog.getByRole('checkbox', { name: 'Cat Ng' }).check();
    await dialog.getByRole('button', { name: 'Create group' }).click();
    await visible(ann.window('Weekend trip'));
    const groupId = (await ann.window('Weekend trip').getAttribute('data-conversation')) as string;
    expect(groupId).toMatch(/^g:\d+$/);
    const annGroup = ann.windowOf(groupId); // the title changes when the group is renamed
    await visible(annGroup.getByText('3 members'));

    await ann.say(annGroup, 'Who is in for Saturday?');
    const question = ann.bubble(annGroup, 'Who is in for Saturday?');
    await visible(question.getByText('Read by 0 of 2'));
    await ben.tab('Chats');
    await visible(ben.conversationRow('Weekend trip').getByLabel('1 unread'));
    const benGroup = await ben.openConversation('Weekend trip');
    await visible(question.getByText('Read by 1 of 2'));
    await cat.tab('Chats');
    const catGroup = await cat.openConversation('Weekend trip');
    await visible(question.getByText('Read by 2 of 2'));
    await visible(question.locator('[data-status="read"]'));

    await ben.say(benGroup, 'Count me in');
    const fromBen = cat.bubble(catGroup, 'Count me in');
    await visible(fromBen);
    await visible(catGroup.locator('.sender', { hasText: 'Ben Okafor' }));
    await visible(ann.bubble(annGroup, 'Count me in'));

    // Ann's desk: the group, a chat with Ben and a minimised chat with Cat, docked bottom-right
    const annBen = await ann.openChatWithFriend(ben);
    await ann.say(annBen, 'Shall I book the train?');
    const annCat = await ann.openChatWithFriend(cat);
    await annCat.getByRole('button', { name: 'Minimise chat with Cat Ng' }).click();
    await visible(annCat.getByRole('button', { name: 'Restore chat with Cat Ng' }));
    await ben.say(ben.windowOf(groupId), 'Train is fine by me');
    await visible(ann.bubble(annGroup, 'Train is fine by me'));
    const catAnn = await cat.openChatWithFriend(ann);
    await cat.say(catAnn, 'See you on Saturday!');
    await ann.tab('Chats');
    await visible(ann.conversationRow('Cat Ng').getByLabel('1 unread')); // a minimised chat does not mark read
    await visible(annCat.getByLabel('1 unread'));
    await screenshot(ann.page, 'desktop-chats');
    expect(await unlabelledControls(ann.page)).toEqual([]);

    // members with roles
    await annGroup.getByRole('button', { name: 'Group members and settings' }).click();
    const members = annGroup.getByRole('list', { name: 'Group members' });
    await visible(members.getByRole('listitem').filter({ hasText: 'Ann Lee (you)' }).getByText('owner'));
    await visible(members.getByRole('listitem').filter({ hasText: 'Ben Okafor' }).getByText('member'));
    await screenshot(ann.page, 'desktop-group-members');
    expect(await unlabelledControls(ann.page)).toEqual([]);
    await annCat.getByRole('button', { name: 'Restore chat with Cat Ng' }).click();
    await visible(ann.bubble(annCat, 'See you on Saturday!'));
    await gone(ann.conversationRow('Cat Ng').getByLabel(/unread/));

    // rename
    await annGroup.getByLabel('Group name').fill('Weekend in Lisbon');
    await annGroup.getByRole('button', { name: 'Rename' }).click();
    await visible(ann.window('Weekend in Lisbon'));
    await visible(ann.conversationRow('Weekend in Lisbon'));

    // remove Cat: her window closes and the group leaves her list
    await annGroup.getByRole('button', { name: 'Group members and settings' }).click();
    await annGroup.getByRole('button', { name: 'Remove Cat Ng from the group' }).click();
    await gone(members.getByRole('listitem').filter({ hasText: 'Cat Ng' }));
    await gone(cat.windowOf(groupId));
    await gone(cat.page.locator(`[data-conversation="${groupId}"]`));
    await visible(ben.windowOf(groupId).getByText('2 members'));

    // add her back
    await annGroup.getByRole('checkbox', { name: 'Cat Ng' }).check();
    await annGroup.getByRole('button', { name: 'Add to group' }).click();
    await visible(members.getByRole('listitem').filter({ hasText: 'Cat Ng' }));
    await cat.tab('Chats');
    await visible(cat.conversationRow('Weekend in Lisbon'));

    // Ben leaves
    const benWindow = ben.windowOf(groupId);
    await benWindow.getByRole('button', { name: 'Group members and settings' }).click();
    await benWindow.getByRole('button', { name: 'Leave group' }).click();
    await benWindow.getByRole('button', { name: 'Yes, leave' }).click();
    await gone(benWindow);
    await gone(ben.page.locator(`[data-conversation="${groupId}"]`));
    await gone(members.getByRole('listitem').filter({ hasText: 'Ben Okafor' }));
  });

  it('at 360 px: sign-in, chat list and a full-screen conversation, with nothing sticking out', async () => {
    const gus = await signUp('gus', 'Gus Martin');
    const context = await browser.newContext({ viewport: PHONE });
    const signIn = await context.newPage();
    await signIn.goto(server.url);
    await visible(signIn.getByRole('button', { name: 'Sign in' }));
    expect(await horizontalOverflow(signIn)).toEqual([]);
    await screenshot(signIn, 'phone-sign-in');
    await context.close();

    const fay = await signUp('fay', 'Fay Ito', { viewport: PHONE });
    expect(await horizontalOverflow(fay.page)).toEqual([]);
    await gus.addFriend(fay);
    await fay.accept(gus);
    expect(await horizontalOverflow(fay.page)).toEqual([]);
    const gusToFay = await gus.openChatWithFriend(fay);
    await gus.say(gusToFay, 'Morning! Coffee at 10 by the station?');
    await gus.say(
      gusToFay,
      'I found a place with a terrace and a very long name that should wrap nicely: Café-Bäckerei-am-Hauptbahnhof-Süd',
    );
    await fay.tab('Chats');
    await visible(fay.conversationRow('Gus Martin').getByLabel('2 unread'));
    expect(await horizontalOverflow(fay.page)).toEqual([]);
    await screenshot(fay.page, 'phone-chats');

    const conversation = await fay.openConversation('Gus Martin');
    await visible(fay.bubble(conversation, 'Coffee at 10'));
    await visible(conversation.getByRole('button', { name: 'Back to chats' }));
    await fay.say(conversation, 'Sounds good, see you there');
    await visible(fay.bubble(conversation, 'see you there').locator('[data-status="read"]'));
    expect(await horizontalOverflow(fay.page)).toEqual([]);
    await screenshot(fay.page, 'phone-conversation');
    expect(await unlabelledControls(fay.page)).toEqual([]);

    await conversation.getByRole('button', { name: 'Back to chats' }).click();
    await visible(fay.conversationRow('Gus Martin'));
    await fay.tab('Friends');
    await visible(fay.friendRow(gus));
    expect(await horizontalOverflow(fay.page)).toEqual([]);
    await screenshot(fay.page, 'phone-friends');

    await gus.page.getByRole('button', { name: 'Profile and settings' }).click();
    const profile = gus.page.getByRole('dialog', { name: 'Your profile' });
    await profile.getByLabel('Display name').fill('Gus M.');
    await profile.getByRole('button', { name: 'Save profile' }).click();
    await visible(profile.getByText('Profile saved'));
    await profile.getByRole('button', { name: 'Sign out' }).click();
    await visible(gus.page.getByRole('button', { name: 'Sign in' }));
    await gus.page.getByLabel('Username').fill('gus');
    await gus.page.getByLabel('Password').fill('correct-horse-battery');
    await gus.page.getByRole('button', { name: 'Sign in' }).click();
    await visible(gus.page.getByRole('button', { name: 'Profile and settings' }).getByText('Gus M.'));
  });
});
