import type { Bus } from '../cluster/bus.js';
import { AppError } from '../errors.js';
import type { DeviceInfo, DeviceRecord } from '../storage/records.js';
import type { DeviceRepo } from '../storage/store.js';
import type { Clock } from './clock.js';

/**
 * The device registry. A device is registered the first time a connection names it, and refreshed on every
 * connection. Revoking a device closes its connections on every node with 3503 and refuses it from then on,
 * whatever token it presents (V1).
 */
export class DeviceService {
  /** Devices known not to be revoked (bounded); revocations drop entries through the bus. */
  private known = new Set<string>();

  constructor(
    private readonly repo: DeviceRepo,
    private readonly bus: Bus,
    private readonly clock: Clock,
    /** Devices (not revoked) one account may have. */
    private readonly maxPerUser: number = Number.POSITIVE_INFINITY,
  ) {}

  /** Per account, new devices are registered one at a time, so none gets past the allowance by racing another. */
  private readonly registering = new Map<string, Promise<unknown>>();

  /**
   * Registers or refreshes the device; throws DEVICE_REVOKED for a revoked one, and TOO_MANY_DEVICES for a new one
   * when the account already has its allowance of devices not revoked.
   */
  async attach(userId: string, deviceId: string, info: DeviceInfo): Promise<DeviceRecord> {
    const existing = await this.repo.getDevice(userId, deviceId);
    if (existing?.revokedAt != null) throw new AppError('DEVICE_REVOKED');
    if (existing === null) return this.serialized(userId, () => this.register(userId, deviceId, info));
    const device = await this.repo.upsertDevice(userId, deviceId, info, this.clock());
    this.remember(userId, deviceId);
    return device;
  }

  private async register(userId: string, deviceId: string, info: DeviceInfo): Promise<DeviceRecord> {
    const devices = await this.repo.listDevices(userId);
    const mine = devices.find((d) => d.deviceId === deviceId);
    if (mine?.revokedAt != null) throw new AppError('DEVICE_REVOKED');
    if (!mine && devices.filter((d) => d.revokedAt == null).length >= this.maxPerUser) {
      throw new AppError('TOO_MANY_DEVICES');
    }
    const device = await this.repo.upsertDevice(userId, deviceId, info, this.clock());
    this.remember(userId, deviceId);
    return device;
  }

  private serialized<T>(userId: string, work: () => Promise<T>): Promise<T> {
    const previous = this.registering.get(userId) ?? Promise.resolve();
    const run = previous.then(work, work);
    const tail = run.catch(() => {});
    this.registering.set(userId, tail);
    void tail.then(() => {
      if (this.registering.get(userId) === tail) this.registering.delete(userId);
    });
    return run;
  }

  async isRevoked(userId: string, deviceId: string): Promise<boolean> {
    const key = `${userId}\u0000${deviceId}`;
    if (this.known.has(key)) return false;
    const device = await this.repo.getDevice(userId, deviceId);
    if (device?.revokedAt != null) return true;
    this.remember(userId, deviceId);
    return false;
  }

  list(userId: string): Promise<DeviceRecord[]> {
    return this.repo.listDevices(userId);
  }

  async update(userId: string, deviceId: string, info: DeviceInfo): Promise<DeviceRecord> {
    return this.attach(userId, deviceId, info);
  }

  async revoke(userId: string, deviceId: string): Promise<void> {
    if (!(await this.repo.revokeDevice(userId, deviceId, this.clock())))
      throw new AppError('NOT_FOUND', 'No such device');
    this.forget(userId, deviceId);
    this.bus.publish({ kind: 'device-revoked', userId, deviceId });
  }

  /** Called for every device-revoked bus message (from any node). */
  forget(userId: string, deviceId: string): void {
    this.known.delete(`${userId}\u0000${deviceId}`);
  }

  /** Forgets every device known not to be revoked: after a bus gap, revocations may have been lost. */
  forgetAll(): void {
    this.known.clear();
  }

  private remember(userId: string, deviceId: string): void {
    if (this.known.size > 100_000) this.known.clear();
    this.known.add(`${userId}\u0000${deviceId}`);
  }
}
