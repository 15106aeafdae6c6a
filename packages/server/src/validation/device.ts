import { DEVICE_ID } from '../auth/token-service.js';
import { AppError } from '../errors.js';
import type { DeviceInfo, DeviceType } from '../storage/records.js';
import { type Obj, optEnum, optStr, requireObject } from './validate.js';

const DEVICE_TYPES: readonly DeviceType[] = ['desktop', 'mobile', 'web', 'other'];

/** Reads device details (REST bodies, auth frames); absent fields stay unchanged in the registry. */
export function parseDeviceInfo(o: Obj): DeviceInfo {
  const info: DeviceInfo = {};
  const name = optStr(o, 'name', { max: 100 }) ?? optStr(o, 'device_name', { max: 100 });
  const type = optEnum(o, 'type', DEVICE_TYPES) ?? optEnum(o, 'device_type', DEVICE_TYPES);
  const platform = optStr(o, 'platform', { max: 100 });
  const appVersion = optStr(o, 'app_version', { max: 50 });
  const pushToken = optStr(o, 'push_token', { max: 4096 });
  if (name !== undefined) info.name = name;
  if (type !== undefined) info.type = type;
  if (platform !== undefined) info.platform = platform;
  if (appVersion !== undefined) info.appVersion = appVersion;
  if (pushToken !== undefined) info.pushToken = pushToken;
  return info;
}

export function parseDeviceId(value: unknown, field = 'device.id'): string {
  if (typeof value !== 'string' || !DEVICE_ID.test(value)) {
    throw new AppError('VALIDATION_FAILED', `${field} must be 1-128 characters of A-Z a-z 0-9 _ . : -`, { field });
  }
  return value;
}

/** The `device` object of an auth frame, if any. */
export function parseDevice(value: unknown): { id: string; info: DeviceInfo } | undefined {
  if (value === undefined || value === null) return undefined;
  const o = requireObject(value, 'device');
  return { id: parseDeviceId(o.id), info: parseDeviceInfo(o) };
}
