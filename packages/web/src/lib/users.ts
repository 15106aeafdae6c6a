import type { WireUser } from '@parley/protocol';
import type { Api } from './api.js';

/** Profiles by id (from conversations, friends, group members); unknown ones are fetched in one batch. */
export class UserDirectory {
  private users = new Map<string, WireUser>();
  private wanted = new Set<string>();
  private asked = new Set<string>();
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly api: Api,
    private readonly changed: () => void,
  ) {}

  remember(user: WireUser): void {
    this.users.set(String(user.id), user);
  }

  get(id: string): WireUser | undefined {
    const u = this.users.get(id);
    if (!u && !this.asked.has(id)) this.want(id);
    return u;
  }

  private want(id: string): void {
    this.wanted.add(id);
    this.timer ??= setTimeout(() => void this.fetch(), 30);
  }

  private async fetch(): Promise<void> {
    this.timer = null;
    const ids = [...this.wanted];
    this.wanted.clear();
    for (const id of ids) this.asked.add(id);
    try {
      const { users } = await this.api.users(ids);
      for (const u of users) this.remember(u);
      this.changed();
    } catch {
      for (const id of ids) this.asked.delete(id); // asked again on the next render
    }
  }
}
