import type { PasswordStrength } from '../auth/password-strength.js';
import { hashRefreshToken, newRefreshToken, type TokenService } from '../auth/token-service.js';
import { AppError } from '../errors.js';
import type { UserRecord } from '../storage/records.js';
import type { UserRepo } from '../storage/store.js';
import type { Clock } from './clock.js';
import type { DeviceService } from './device-service.js';
import type { LoginThrottle } from './login-throttle.js';
import type { RateLimiter } from './rate-limiter.js';
import type { UserService } from './user-service.js';

export interface Session {
  user: UserRecord;
  accessToken: string;
  accessTokenExpiresAt: number;
  refreshToken: string;
}

export interface AuthServiceOptions {
  users: UserService;
  repo: UserRepo;
  tokens: TokenService;
  clock: Clock;
  refreshTtlSec: number;
  registration: 'open' | 'closed';
  devices: DeviceService;
  /** Password guesses per (account, source) and per source. */
  logins: LoginThrottle;
  /** Registrations per source. */
  registrations: RateLimiter;
  /** New passwords must pass it. */
  strength: PasswordStrength;
}

/**
 * Standalone identity: register, log in, refresh (rotating, single-use refresh tokens), log out. `source` names
 * where a request comes from (the client's address): guessing and registering are throttled per source.
 */
export class AuthService {
  private readonly users: UserService;
  private readonly repo: UserRepo;
  private readonly tokens: TokenService;
  private readonly clock: Clock;
  private readonly refreshTtlSec: number;
  private readonly registration: 'open' | 'closed';
  private readonly devices: DeviceService;
  private readonly logins: LoginThrottle;
  private readonly registrations: RateLimiter;
  private readonly strength: PasswordStrength;

  constructor(o: AuthServiceOptions) {
    this.users = o.users;
    this.repo = o.repo;
    this.tokens = o.tokens;
    this.clock = o.clock;
    this.refreshTtlSec = o.refreshTtlSec;
    this.registration = o.registration;
    this.devices = o.devices;
    this.logins = o.logins;
    this.registrations = o.registrations;
    this.strength = o.strength;
  }

  async register(
    input: { username: string; password: string; displayName?: string },
    deviceId: string | null,
    source: string,
  ): Promise<Session> {
    if (this.registration === 'closed') throw new AppError('REGISTRATION_CLOSED');
    const wait = this.registrations.take(source);
    if (wait > 0) {
      throw new AppError('RATE_LIMITED', 'Too many accounts registered from this address; retry after retry_after_ms', {
        retryAfterMs: wait,
      });
    }
    // After the rate limit: scoring costs CPU, so its count per address is bounded too.
    await this.strength.check(input.password, [input.username, input.displayName ?? '']);
    return this.session(await this.users.register(input), deviceId);
  }

  /**
   * Logs in; tokens issued for a device are refused once that device is revoked. Guesses are throttled per
   * (account, source) and per source (RATE_LIMITED), never per account alone.
   */
  async login(username: string, password: string, deviceId: string | null, source: string): Promise<Session> {
    const attempt = this.logins.admit(username, source);
    let user: UserRecord;
    try {
      user = await this.users.login(username, password);
    } catch (err) {
      this.logins.settle(attempt, !(err instanceof AppError && err.code === 'BAD_CREDENTIALS'));
      throw err;
    }
    this.logins.settle(attempt, true);
    if (deviceId !== null && (await this.devices.isRevoked(user.id, deviceId))) throw new AppError('DEVICE_REVOKED');
    return this.session(user, deviceId);
  }

  /**
   * Rotates the refresh token: the one presented is used up and a new one of the same family is issued. Presenting
   * an already used one means two parties hold the family (one of them stole it): every token of the family is
   * revoked, so whoever holds it must sign in again.
   */
  async refresh(refreshToken: string): Promise<Session> {
    const hash = hashRefreshToken(refreshToken);
    const known = await this.repo.refreshTokenFamily(hash);
    const found = known === null ? null : await this.repo.consumeRefreshToken(hash, this.clock());
    if (found === null || known === null) {
      if (known?.used) {
        await this.repo.revokeRefreshFamily(known.family);
        throw new AppError(
          'TOKEN_INVALID',
          'The refresh token was already used; every session of that sign-in is revoked, sign in again',
        );
      }
      throw new AppError('TOKEN_INVALID', 'The refresh token is unknown, used or expired');
    }
    return this.session(await this.users.get(found.userId), found.deviceId, known.family);
  }

  /** Ends the sign-in the token belongs to: every token of its family goes. */
  async logout(refreshToken: string): Promise<void> {
    const hash = hashRefreshToken(refreshToken);
    const known = await this.repo.refreshTokenFamily(hash);
    if (known) await this.repo.revokeRefreshFamily(known.family);
    else await this.repo.deleteRefreshToken(hash);
  }

  /** Issues tokens; the refresh token continues `family` (a rotation) or starts one (a sign-in). */
  private async session(user: UserRecord, deviceId: string | null, family?: string): Promise<Session> {
    if (deviceId !== null) await this.devices.attach(user.id, deviceId, {}); // listed (and revocable) at once
    const now = this.clock();
    const access = await this.tokens.issueAccessToken(user, deviceId, now);
    const refresh = newRefreshToken();
    await this.repo.saveRefreshToken(refresh.hash, user.id, deviceId, now + this.refreshTtlSec * 1000, family);
    return { user, accessToken: access.token, accessTokenExpiresAt: access.expiresAt, refreshToken: refresh.token };
  }
}
