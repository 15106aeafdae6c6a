import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Locator, type Page } from 'playwright-core';
import { build } from 'vite';

export { startServer, type TestServer } from '../../server/test/helpers/test-server.js';

const WEB_ROOT = resolve(import.meta.dirname, '..');
const REPO_ROOT = resolve(WEB_ROOT, '../..');

/** Builds the web app into a fresh directory (not dist/, so parallel runs never race), as the server will serve it. */
export async function buildWeb(): Promise<string> {
  const outDir = mkdtempSync(join(tmpdir(), 'parley-web-build-'));
  await build({
    root: WEB_ROOT,
    configFile: join(WEB_ROOT, 'vite.config.ts'),
    logLevel: 'silent',
    build: { outDir, emptyOutDir: true },
  });
  return outDir;
}

/** Debian's chromium, headless, with the flags that work on these machines (see ENVIRONMENT.md). */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.PARLEY_CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 360, height: 740 };

/** Waits are generous: the machine has 2 cores shared with other work. Tests wait for elements, never sleep. */
export const WAIT_MS = 30_000;

export const visible = (l: Locator) => l.first().waitFor({ state: 'visible', timeout: WAIT_MS });
export const gone = (l: Locator) => l.first().waitFor({ state: 'hidden', timeout: WAIT_MS });

/** Polls a condition (page state that no single element shows) until it holds. */
export async function until(cond: () => Promise<boolean> | boolean, what: string, timeoutMs = WAIT_MS) {
  const start = Date.now();
  for (;;) {
    if (await cond()) return;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Screenshots go to .tmp/screenshots on every run; with PARLEY_UPDATE_SCREENSHOTS=1 also to docs/screenshots, the
 * ones the README shows.
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  const dirs = [join(REPO_ROOT, '.tmp/screenshots')];
  if (process.env.PARLEY_UPDATE_SCREENSHOTS === '1') dirs.push(join(REPO_ROOT, 'docs/screenshots'));
  const png = await page.screenshot({ animations: 'disabled', caret: 'hide' });
  const { writeFileSync } = await import('node:fs');
  for (const dir of dirs) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${name}.png`), png);
  }
}

/** On a failure: what each person's screen showed, in .tmp/screenshots/failed-*.png. */
export async function screenshotAll(people: readonly Person[], test: string): Promise<void> {
  const dir = join(REPO_ROOT, '.tmp/screenshots');
  mkdirSync(dir, { recursive: true });
  const slug = test.replace(/[^a-z0-9]+/gi, '-').slice(0, 40);
  for (const p of people) {
    await p.page.screenshot({ path: join(dir, `failed-${slug}-${p.username}.png`) }).catch(() => {});
  }
}

/** One person in one browser context (its own storage), driving the app like a user would. */
export class Person {
  private constructor(
    readonly context: BrowserContext,
    readonly page: Page,
    readonly username: string,
    readonly displayName: string,
  ) {}

  static async signUp(
    browser: Browser,
    url: string,
    username: string,
    displayName: string,
    options: { viewport?: { width: number; height: number }; init?: () => void } = {},
  ): Promise<Person> {
    const context = await browser.newContext({ viewport: options.viewport ?? DESKTOP });
    if (options.init) await context.addInitScript(options.init);
    const page = await context.newPage();
    await page.goto(url);
    await page.getByRole('button', { name: 'Create an account' }).click();
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Display name (optional)').fill(displayName);
    await page.getByLabel('Password').fill('correct-horse-battery');
    await page.getByRole('button', { name: 'Create account' }).click();
    await visible(page.getByRole('button', { name: 'Profile and settings' }));
    return new Person(context, page, username, displayName);
  }

  tab(name: 'Chats' | 'Friends' | 'Notifications'): Promise<void> {
    return this.page.getByRole('tab', { name: new RegExp(`^${name}`) }).click();
  }

  async addFriend(other: Person): Promise<void> {
    await this.tab('Friends');
    await this.page.getByLabel('Username to add as a friend').fill(other.username);
    await this.page.getByRole('button', { name: 'Add', exact: true }).click();
    await visible(this.page.getByText(`Request sent to ${other.displayName}`));
  }

  async accept(other: Person): Promise<void> {
    await this.tab('Friends');
    await this.page.getByRole('button', { name: `Accept ${other.displayName}` }).click();
    await visible(this.friendRow(other));
  }

  friendRow(other: Person): Locator {
    return this.page
      .getByRole('list', { name: 'Friends' })
      .getByRole('listitem')
      .filter({ hasText: other.displayName });
  }

  conversationRow(title: string): Locator {
    return this.page.getByRole('list', { name: 'Conversations' }).getByRole('button').filter({ hasText: title });
  }

  window(title: string): Locator {
    return this.page.getByRole('region', { name: `Chat with ${title}` });
  }

  /** A chat window by conversation id (its title may change, e.g. a renamed group). */
  windowOf(conversationId: string): Locator {
    return this.page.locator(`section.chat-window[data-conversation="${conversationId}"]`);
  }

  async openChatWithFriend(other: Person): Promise<Locator> {
    await this.tab('Friends');
    await this.page.getByRole('button', { name: `Chat with ${other.displayName}` }).click();
    const w = this.window(other.displayName);
    await visible(w);
    return w;
  }

  async openConversation(title: string): Promise<Locator> {
    await this.tab('Chats');
    await this.conversationRow(title).click();
    const w = this.window(title);
    await visible(w);
    return w;
  }

  async say(window: Locator, text: string): Promise<void> {
    const box = window.getByRole('textbox', { name: /^Message to/ });
    await box.fill(text);
    await box.press('Enter');
    await until(async () => (await box.inputValue()) === '', 'the composer to clear');
  }

  /** The bubble holding this text, in a window. */
  bubble(window: Locator, text: string): Locator {
    return window.getByRole('log', { name: 'Messages' }).getByRole('listitem').filter({ hasText: text });
  }

  /** The signed-in user's id, as the app stored it. */
  userId(): Promise<string> {
    return this.page.evaluate(() => String(JSON.parse(localStorage.getItem('parley.session') ?? '{}').user.id));
  }

  /** The access token the app holds (for REST calls the test makes as this person). */
  accessToken(): Promise<string> {
    return this.page.evaluate(() => String(JSON.parse(localStorage.getItem('parley.session') ?? '{}').accessToken));
  }

  /** Pretends the tab went to the background (or came back): the Page Visibility API as the app sees it. */
  setHidden(hidden: boolean): Promise<void> {
    return this.page.evaluate((h) => {
      Object.defineProperty(document, 'visibilityState', { value: h ? 'hidden' : 'visible', configurable: true });
      Object.defineProperty(document, 'hidden', { value: h, configurable: true });
      document.dispatchEvent(new Event('visibilitychange'));
    }, hidden);
  }

  close(): Promise<void> {
    return this.context.close();
  }
}

/**
 * An init script: a stand-in for the browser's Notification API (headless Chromium shows none), recording what the
 * app would show in `window.__notifications`. Permission starts as "default", as for a first visit.
 */
export function fakeNotificationApi(): void {
  const shown: { title: string; body: string }[] = [];
  (window as unknown as { __notifications: typeof shown }).__notifications = shown;
  class FakeNotification {
    static permission: NotificationPermission = 'default';
    static async requestPermission(): Promise<NotificationPermission> {
      FakeNotification.permission = 'granted';
      return 'granted';
    }
    onclick: (() => void) | null = null;
    constructor(title: string, options?: NotificationOptions) {
      shown.push({ title, body: options?.body ?? '' });
    }
    close(): void {}
  }
  Object.defineProperty(window, 'Notification', { value: FakeNotification, configurable: true, writable: true });
}

export const shownNotifications = (page: Page) =>
  page.evaluate(() => (window as unknown as { __notifications: { title: string; body: string }[] }).__notifications);

/** Visible elements that stick out of the viewport sideways: a broken layout at a small width. */
export function horizontalOverflow(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const out: string[] = [];
    for (const el of document.querySelectorAll('body *')) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.height === 0 || el.closest('.sr-only')) continue;
      if (r.right > width + 1 || r.left < -1) {
        out.push(
          `<${el.tagName.toLowerCase()} class="${el.getAttribute('class') ?? ''}"> ${Math.round(r.left)}..${Math.round(r.right)}`,
        );
      }
    }
    return out;
  });
}

/** Visible buttons and form fields without an accessible name (text, aria-label, aria-labelledby or a label). */
export function unlabelledControls(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    for (const el of document.querySelectorAll<HTMLElement>('button, input, select, textarea, a[href]')) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) continue;
      const labelled =
        el.getAttribute('aria-label') ||
        el.getAttribute('aria-labelledby') ||
        ((el as HTMLInputElement).labels?.length ?? 0) > 0 ||
        (el.tagName === 'BUTTON' || el.tagName === 'A' ? el.textContent?.trim() : '');
      if (!labelled) out.push(el.outerHTML.slice(0, 120));
    }
    return out;
  });
}
