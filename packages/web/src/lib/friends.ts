import type { WireFriend, WireFriendRequests, WireUserId } from '@parley/protocol';
import type { Api } from './api.js';
import { ApiError } from './errors.js';
import type { UserDirectory } from './users.js';

/** Friends and friend requests (REST), reloaded whenever the server pushes a `friend` event. */
export class FriendsStore {
  friends: WireFriend[] = [];
  requests: WireFriendRequests = { incoming: [], outgoing: [] };
  loaded = false;

  constructor(
    private readonly api: Api,
    private readonly users: UserDirectory,
    private readonly changed: () => void,
  ) {}

  async load(): Promise<void> {
    const [{ friends }, requests] = await Promise.all([this.api.friends(), this.api.friendRequests()]);
    this.friends = friends.sort((a, b) => a.user.display_name.localeCompare(b.user.display_name));
    this.requests = requests;
    for (const f of friends) this.users.remember(f.user);
    for (const r of [...requests.incoming, ...requests.outgoing]) this.users.remember(r.user);
    this.loaded = true;
    this.changed();
  }

  /** Sends a request to a username; resolves with what happened, for the form to say. */
  async add(username: string): Promise<string> {
    let found: Awaited<ReturnType<Api['userByUsername']>>;
    try {
      found = await this.api.userByUsername(username.trim());
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) throw new Error(`Nobody is called “${username.trim()}”`);
      throw err;
    }
    const { status } = await this.api.requestFriend(found.user.id);
    await this.load();
    return status === 'accepted'
      ? `You and ${found.user.display_name} are now friends`
      : `Request sent to ${found.user.display_name}`;
  }

  async accept(userId: WireUserId): Promise<void> {
    await this.api.acceptFriend(userId);
    await this.load();
  }

  async decline(userId: WireUserId): Promise<void> {
    await this.api.declineFriend(userId);
    await this.load();
  }

  async cancel(userId: WireUserId): Promise<void> {
    await this.api.cancelRequest(userId);
    await this.load();
  }

  isFriend(userId: string): boolean {
    return this.friends.some((f) => String(f.user.id) === userId);
  }
}
