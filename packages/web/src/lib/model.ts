import { ChatState, IndexedDbOutboxStore, ParleyClient, TypingNotifier } from '@parley/client';
import {
  type DeviceStatus,
  dmConversationId,
  parseConversationId,
  type ServerEvent,
  type WireMessage,
  type WirePresence,
  type WireUser,
} from '@parley/protocol';
import type { Api } from './api.js';
import { DesktopNotifier } from './desktop-notifier.js';
import { deviceDescriptor } from './device.js';
import { wsUrl } from './endpoints.js';
import { FriendsStore } from './friends.js';
import { GroupsStore } from './groups.js';
import { HistoryPager } from './history.js';
import { NotificationsStore } from './notifications.js';
import { Observable } from './observable.js';
import type { Session } from './session.js';
import { UserDirectory } from './users.js';
import {
  type ChatWindowState,
  closeWindow,
  fitWindows,
  openWindow,
  toggleMinimised,
  windowsThatFit,
} from './windows.js';

export type Tab = 'chats' | 'friends' | 'notifications';

const STATUS_KEY = 'parley.status';
/** Below this width the app shows one full-screen conversation instead of docked windows. */
export const NARROW_MAX_PX = 720;
const noop = () => {};

/**
 * Everything the screens render, in one place: the SDK's client and ChatState (realtime), the REST-backed stores
 * (friends, groups, notifications, profiles), the open chat windows, the user's chosen status and whether the
 * browser is online and the tab visible. Components read it and call its actions; every change bumps `version`.
 */
export class ChatModel extends Observable {
  readonly client: ParleyClient;
  readonly chat: ChatState;
  readonly users: UserDirectory;
  readonly friends: FriendsStore;
  readonly groups: GroupsStore;
  readonly notifications: NotificationsStore;
  readonly history: HistoryPager;
  readonly desktop = new DesktopNotifier();
  readonly me: string;
  profile: WireUser;
  windows: ChatWindowState[] = [];
  tab: Tab = 'chats';
  status: DeviceStatus = readStatus();
  online = navigator.onLine;
  visible = document.visibilityState === 'visible';
  narrow = window.innerWidth <= NARROW_MAX_PX;
  maxWindows = windowsThatFit(window.innerWidth);

  private readRequested = new Map<string, number>();
  private receiptsLoaded = new Set<string>();
  private typers = new Map<string, TypingNotifier>();
  private offs: (() => void)[] = [];
  private syncScheduled = false;

  constructor(
    readonly api: Api,
    private readonly session: Session,
    profile: WireUser,
    private readonly onSignedOut: () => void,
  ) {
    super();
    this.profile = profile;
    this.me = String(profile.id);
    this.client = new ParleyClient({
      url: wsUrl(),
      token: () => session.accessToken(),
      device: deviceDescriptor(),
      outboxStore: new IndexedDbOutboxStore(`parley-outbox-${this.me}`),
      backoff: { baseMs: 500, capMs: 10_000 },
    });
    this.chat = new ChatState(this.client);
    const changed = () => this.changed();
    this.users = new UserDirectory(api, changed);
    this.users.remember(profile);
    this.friends = new FriendsStore(api, this.users, changed);
    this.groups = new GroupsStore(api, this.users, this.me, changed);
    this.notifications = new NotificationsStore(api, changed);
    this.history = new HistoryPager(this.client, changed);
  }

  start(): void {
    const on = <K extends keyof WindowEventMap>(type: K, fn: (e: WindowEventMap[K]) => void) => {
      window.addEventListener(type, fn);
      this.offs.push(() => window.removeEventListener(type, fn));
    };
    this.offs.push(
      this.chat.subscribe(() => this.changed()),
      this.client.on('state', () => this.changed()),
      this.client.on('hello', () => this.connected()),
      this.client.on('message', (m) => this.incoming(m)),
      this.client.on('event', (e) => this.event(e)),
      this.client.on('must-page', (c) => void this.history.fillGap(c.conversation_id, c.from).catch(noop)),
    );
    on('online', () => {
      this.online = true;
      this.client.connect();
      this.changed();
    });
    on('offline', () => {
      // the browser knows the network is gone: stop at once (messages queue in the outbox) instead of waiting
      // for heartbeats to time out, and reconnect when it is back
      this.online = false;
      this.client.disconnect();
      this.changed();
    });
    on('resize', () => this.viewport(window.innerWidth));
    const onVisibility = () => {
      this.visible = document.visibilityState === 'visible';
      this.changed();
    };
    document.addEventListener('visibilitychange', onVisibility);
    this.offs.push(() => document.removeEventListener('visibilitychange', onVisibility));
    void this.friends.load().catch(noop);
    void this.notifications.load().catch(noop);
    if (this.online) this.client.connect();
  }

  stop(): void {
    for (const off of this.offs.splice(0)) off();
    for (const t of this.typers.values()) t.stop();
    this.chat.dispose();
    this.client.disconnect();
    document.title = 'Parley';
  }

  override changed(): void {
    super.changed();
    if (this.syncScheduled) return;
    this.syncScheduled = true;
    queueMicrotask(() => {
      this.syncScheduled = false;
      this.syncTitle();
      this.markShownRead();
    });
  }

  /* ---------- what the screens read ---------- */

  /** The windows on screen: the newest that fit (one, full screen, when narrow). */
  shownWindows(): ChatWindowState[] {
    return this.narrow ? this.windows.slice(-1) : this.windows.slice(-this.maxWindows);
  }

  isGroup(conversationId: string): boolean {
    return conversationId.startsWith('g:');
  }

  /** The other user of a direct conversation. */
  peerId(conversationId: string): string | null {
    const p = parseConversationId(conversationId);
    if (p?.kind !== 'dm') return null;
    return p.users[0] === this.me ? p.users[1] : p.users[0];
  }

  userOf(userId: string): WireUser | undefined {
    return this.users.get(userId);
  }

  name(userId: string): string {
    if (userId === this.me) return 'You';
    return this.users.get(userId)?.display_name ?? 'Someone';
  }

  title(conversationId: string): string {
    const c = this.chat.conversations.get(conversationId);
    if (c?.group) return c.group.name;
    const peer = this.peerId(conversationId);
    if (peer === null) return 'Group';
    return c?.peer?.display_name ?? this.users.get(peer)?.display_name ?? 'Conversation';
  }

  avatarOf(conversationId: string): { id: string; name: string; url: string | null } {
    const c = this.chat.conversations.get(conversationId);
    const peer = this.peerId(conversationId);
    const user = peer !== null ? (c?.peer ?? this.users.get(peer)) : undefined;
    return {
      id: peer ?? conversationId,
      name: this.title(conversationId),
      url: c?.group?.avatar_url ?? user?.avatar_url ?? null,
    };
  }

  presenceOf(userId: string): WirePresence | undefined {
    return (
      this.chat.presenceOf(userId) ??
      this.friends.friends.find((f) => String(f.user.id) === userId)?.presence ??
      [...this.chat.conversations.values()].find((c) => c.peer && String(c.peer.id) === userId)?.peer?.presence
    );
  }

  /** This user's presence as others see it: the chosen status while connected. */
  ownPresence(): WirePresence {
    const connected = this.client.state === 'connected';
    return { user_id: this.profile.id, status: connected ? this.status : 'offline', last_seen: null };
  }

  unreadOf(conversationId: string): number {
    return this.chat.conversations.get(conversationId)?.unread_count ?? 0;
  }

  dmWith(userId: string): string {
    return dmConversationId(this.me, userId);
  }

  /** Messages written but not yet acknowledged (queued while offline, or in flight). */
  queuedCount(): number {
    return this.client.outbox.list().filter((i) => !i.failure).length;
  }

  /* ---------- actions ---------- */

  setTab(tab: Tab): void {
    this.tab = tab;
    this.changed();
  }

  open(conversationId: string): void {
    this.windows = openWindow(this.windows, conversationId, this.narrow ? 1 : this.maxWindows);
    this.ensureLoaded(conversationId);
    this.changed();
  }

  close(conversationId: string): void {
    this.typers.get(conversationId)?.stop();
    this.windows = closeWindow(this.windows, conversationId);
    this.changed();
  }

  toggleMinimised(conversationId: string): void {
    this.windows = toggleMinimised(this.windows, conversationId);
    this.changed();
  }

  viewport(width: number): void {
    const narrow = width <= NARROW_MAX_PX;
    const max = windowsThatFit(width);
    if (narrow === this.narrow && max === this.maxWindows) return;
    this.narrow = narrow;
    this.maxWindows = max;
    if (!narrow) this.windows = fitWindows(this.windows, max);
    this.changed();
  }

  async send(conversationId: string, text: string): Promise<void> {
    if (text.trim() === '') return;
    this.typing(conversationId).stop();
    await this.client.send({ conversationId }, text);
  }

  typing(conversationId: string): TypingNotifier {
    let t = this.typers.get(conversationId);
    if (!t) {
      t = new TypingNotifier(this.client, conversationId);
      this.typers.set(conversationId, t);
    }
    return t;
  }

  loadOlder(conversationId: string): void {
    if (this.client.state === 'connected') void this.history.loadOlder(conversationId);
  }

  setStatus(status: DeviceStatus): void {
    this.status = status;
    localStorage.setItem(STATUS_KEY, status);
    if (this.client.state === 'connected') void this.client.setPresence(status).catch(noop);
    this.changed();
  }

  async updateProfile(patch: { display_name?: string; avatar_url?: string | null }): Promise<void> {
    const { user } = await this.api.updateMe(patch);
    this.profile = user;
    this.users.remember(user);
    this.session.setUser(user);
    this.changed();
  }

  async createGroup(name: string, memberIds: string[]): Promise<void> {
    const conversationId = await this.groups.create(name, memberIds);
    await this.chat.refresh().catch(noop);
    this.open(conversationId);
  }

  async renameGroup(conversationId: string, name: string): Promise<void> {
    await this.groups.rename(conversationId, name);
    await this.chat.refresh().catch(noop);
  }

  async leaveGroup(conversationId: string): Promise<void> {
    await this.groups.leave(conversationId);
    this.close(conversationId);
    await this.chat.refresh().catch(noop);
  }

  async enableDesktopNotifications(): Promise<void> {
    await this.desktop.enable();
    this.changed();
  }

  async signOut(): Promise<void> {
    this.stop();
    await this.session.signOut();
    this.onSignedOut();
  }

  /* ---------- reactions ---------- */

  private connected(): void {
    const hello = this.client.hello;
    if (hello) {
      // the profile may have changed on another device
      this.profile = hello.user;
      this.users.remember(hello.user);
      this.session.setUser(hello.user);
    }
    this.receiptsLoaded.clear();
    this.readRequested.clear();
    if (this.status !== 'online') void this.client.setPresence(this.status).catch(noop);
    for (const w of this.windows) this.ensureLoaded(w.conversationId);
    void this.friends.load().catch(noop);
    void this.notifications.load().catch(noop);
    this.changed();
  }

  /** History, receipts and members for an open window (again after a reconnect). */
  private ensureLoaded(conversationId: string): void {
    if (this.client.state !== 'connected') return;
    void this.history.loadFirst(conversationId).catch(noop);
    if (!this.receiptsLoaded.has(conversationId)) {
      this.receiptsLoaded.add(conversationId);
      void this.chat.loadReceipts(conversationId).catch(() => this.receiptsLoaded.delete(conversationId));
    }
    if (this.isGroup(conversationId) && !this.groups.membersOf(conversationId)) {
      void this.groups.load(conversationId).catch(noop);
    }
  }

  private incoming(m: WireMessage): void {
    const sender = String(m.sender_id);
    if (sender === this.me || Date.parse(m.created_at) < Date.now() - 60_000) return; // not catch-up of old ones
    if (this.visible && document.hasFocus()) return; // the user is here: badges and the open chat say it
    const group = this.isGroup(m.conversation_id);
    const title = group ? `${this.name(sender)} in ${this.title(m.conversation_id)}` : this.name(sender);
    this.desktop.show(title, m.text, m.conversation_id, () => this.open(m.conversation_id));
  }

  private event(e: ServerEvent): void {
    switch (e.type) {
      case 'friend':
        void this.friends.load().catch(noop);
        return;
      case 'conv.member':
        if (this.groups.onMemberEvent(e)) this.close(e.conversation_id);
        return;
      case 'notification':
        if (this.notifications.received(e.notification)) {
          this.desktop.show(e.notification.title, e.notification.body, `n-${e.notification.id}`, () =>
            this.setTab('notifications'),
          );
        }
        return;
      case 'notif.read':
        this.notifications.readElsewhere(e.ids, e.unread_count);
        return;
      default:
        return;
    }
  }

  /** Marks read what the user can see: shown, not minimised windows while the tab is visible. */
  private markShownRead(): void {
    if (!this.visible || this.client.state !== 'connected') return;
    for (const w of this.shownWindows()) {
      if (w.minimised) continue;
      const c = this.chat.conversations.get(w.conversationId);
      if (!c) continue;
      const held = this.client.messages.list(w.conversationId).at(-1)?.seq ?? 0;
      const last = Math.max(c.last_seq, held);
      if (last <= c.read_seq || (this.readRequested.get(w.conversationId) ?? 0) >= last) continue;
      this.readRequested.set(w.conversationId, last);
      this.client.markRead(w.conversationId, last).catch(() => this.readRequested.delete(w.conversationId));
    }
  }

  private syncTitle(): void {
    const unread = this.chat.totalUnread;
    document.title = !this.visible && unread > 0 ? `(${unread}) Parley` : 'Parley';
  }
}

function readStatus(): DeviceStatus {
  const s = localStorage.getItem(STATUS_KEY);
  return s === 'away' || s === 'busy' ? s : 'online';
}
