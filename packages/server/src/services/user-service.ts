import { randomBytes } from 'node:crypto';
import type { PasswordHasher } from '../auth/password-hasher.js';
import type { VerifiedToken } from '../auth/token-service.js';
import { AppError } from '../errors.js';
import type { UserRecord } from '../storage/records.js';
import type { UserRepo } from '../storage/store.js';
import type { Clock } from './clock.js';

export const USERNAME = /^[A-Za-z0-9_.-]{3,32}$/;

/** How long a sender's profile labels their messages before it is read again (another node may have changed it). */
const SENDER_TTL_MS = 1_000;

/** Users: created on first sight of a host token, or registered with a password (standalone mode). */
export class UserService {
  /** Users already written with these claims, so a reconnect does not write the database. */
  private seen = new Map<string, string>();
  private dummyHash: Promise<string> | null = null;
  /** Senders' profiles, read at most once per SENDER_TTL_MS; dropped at once when changed through this node. */
  private senders = new Map<string, { user: UserRecord; until: number }>();

  constructor(
    private readonly repo: UserRepo,
    private readonly hasher: PasswordHasher,
    private readonly clock: Clock,
  ) {}

  async ensureFromToken(t: VerifiedToken): Promise<void> {
    const signature = `${t.username ?? ''}\u0000${t.displayName ?? ''}`;
    if (this.seen.get(t.userId) === signature) return;
    await this.repo.upsertUser({ id: t.userId, username: t.username, displayName: t.displayName }, this.clock());
    this.senders.delete(t.userId);
    if (this.seen.size > 100_000) this.seen.clear();
    this.seen.set(t.userId, signature);
  }

  async register(input: { username: string; password: string; displayName?: string }): Promise<UserRecord> {
    const id = `u_${randomBytes(9).toString('base64url')}`;
    const hash = await this.hasher.hash(input.password);
    const displayName = input.displayName?.trim() || input.username;
    return this.repo.createUserWithLogin({ id, username: input.username, displayName }, hash, this.clock());
  }

  /** Checks a password. Unknown users cost the same time as wrong passwords, so logins cannot probe usernames. */
  async login(username: string, password: string): Promise<UserRecord> {
    const login = await this.repo.getLogin(username);
    if (!login) {
      this.dummyHash ??= this.hasher.hash('not-a-password');
      await this.hasher.verify(await this.dummyHash, password);
      throw new AppError('BAD_CREDENTIALS');
    }
    if (!(await this.hasher.verify(login.passwordHash, password))) throw new AppError('BAD_CREDENTIALS');
    return this.get(login.userId);
  }

  async get(id: string): Promise<UserRecord> {
    const user = await this.repo.getUser(id);
    if (!user) throw new AppError('NOT_FOUND', 'No such user');
    return user;
  }

  /** A standalone account by its login name (case-insensitive), so people can find each other; NOT_FOUND otherwise. */
  async findByUsername(username: string): Promise<UserRecord> {
    const login = USERNAME.test(username) ? await this.repo.getLogin(username) : null;
    if (!login) throw new AppError('NOT_FOUND', 'No user with that username');
    return this.get(login.userId);
  }

  /**
   * The profile that labels a message event: at most SENDER_TTL_MS old (a change made on another node shows on
   * this one's events within that time), read once per sender rather than once per message.
   */
  async sender(id: string): Promise<UserRecord> {
    const now = this.clock();
    const hit = this.senders.get(id);
    if (hit && hit.until > now) return hit.user;
    const user = await this.get(id);
    if (this.senders.size >= 50_000) this.senders.clear();
    this.senders.set(id, { user, until: now + SENDER_TTL_MS });
    return user;
  }

  async exists(id: string): Promise<boolean> {
    return (await this.repo.getUser(id)) !== null;
  }

  getMany(ids: readonly string[]): Promise<UserRecord[]> {
    return this.repo.getUsers(ids);
  }

  async updateProfile(
    id: string,
    patch: { displayName?: string; avatarUrl?: string | null; readReceipts?: boolean },
  ): Promise<UserRecord> {
    const user = await this.repo.updateProfile(id, patch);
    this.senders.delete(id);
    if (!user) throw new AppError('NOT_FOUND', 'No such user');
    return user;
  }
}
