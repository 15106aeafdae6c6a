import type {
  WireFriend,
  WireFriendRequests,
  WireGroup,
  WireGroupMember,
  WireNotification,
  WirePresence,
  WireUser,
  WireUserId,
} from '@parley/protocol';
import { parseResponse } from './errors.js';
import type { AuthResponse, Session } from './session.js';

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

export interface Profile {
  user: WireUser;
  settings: { read_receipts: boolean };
}

/** Register and log in: no token needed. */
export async function authenticate(
  base: URL,
  mode: 'register' | 'login',
  body: { username: string; password: string; display_name?: string; device_id: string },
): Promise<AuthResponse> {
  const res = await fetch(new URL(`v1/auth/${mode}`, base), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return parseResponse<AuthResponse>(res);
}

/** The REST API for what is not realtime: profile, friends, groups, notifications. */
export class Api {
  constructor(
    private readonly base: URL,
    private readonly session: Session,
  ) {}

  /** One call with the access token; a 401 renews the token once and retries. */
  async call<T>(method: Method, path: string, body?: unknown): Promise<T> {
    const send = (token: string) =>
      fetch(new URL(path.replace(/^\//, ''), this.base), {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    const token = await this.session.accessToken();
    let res = await send(token);
    if (res.status === 401) res = await send(await this.session.refresh(token));
    return parseResponse<T>(res);
  }

  me = () => this.call<Profile>('GET', '/v1/users/me');
  updateMe = (patch: { display_name?: string; avatar_url?: string | null }) =>
    this.call<Profile>('PATCH', '/v1/users/me', patch);
  users = (ids: string[]) =>
    this.call<{ users: WireUser[] }>('GET', `/v1/users?ids=${ids.map(encodeURIComponent).join(',')}`);
  userByUsername = (username: string) =>
    this.call<{ user: WireUser; presence: WirePresence }>(
      'GET',
      `/v1/users/by-username/${encodeURIComponent(username)}`,
    );

  friends = () => this.call<{ friends: WireFriend[] }>('GET', '/v1/friends');
  friendRequests = () => this.call<WireFriendRequests>('GET', '/v1/friends/requests');
  requestFriend = (userId: WireUserId) =>
    this.call<{ status: 'requested' | 'accepted' }>('POST', '/v1/friends/requests', { user_id: userId });
  acceptFriend = (userId: WireUserId) => this.call<void>('POST', `/v1/friends/requests/${userId}/accept`);
  declineFriend = (userId: WireUserId) => this.call<void>('POST', `/v1/friends/requests/${userId}/decline`);
  cancelRequest = (userId: WireUserId) => this.call<void>('DELETE', `/v1/friends/requests/${userId}`);

  createGroup = (name: string, memberIds: WireUserId[]) =>
    this.call<{ group: WireGroup; my_role: string }>('POST', '/v1/groups', { name, member_ids: memberIds });
  renameGroup = (groupId: number, name: string) => this.call<unknown>('PATCH', `/v1/groups/${groupId}`, { name });
  groupMembers = (groupId: number) => this.call<{ members: WireGroupMember[] }>('GET', `/v1/groups/${groupId}/members`);
  addMembers = (groupId: number, userIds: WireUserId[]) =>
    this.call<{ added: WireUserId[] }>('POST', `/v1/groups/${groupId}/members`, { user_ids: userIds });
  removeMember = (groupId: number, userId: WireUserId) =>
    this.call<void>('DELETE', `/v1/groups/${groupId}/members/${userId}`);
  leaveGroup = (groupId: number) => this.call<void>('POST', `/v1/groups/${groupId}/leave`);

  notifications = () =>
    this.call<{ notifications: WireNotification[]; unread_count: number }>('GET', '/v1/notifications?limit=50');
  markNotificationsRead = (ids: string[] | null) =>
    this.call<{ updated: number; unread_count: number }>(
      'POST',
      '/v1/notifications/read',
      ids === null ? { all: true } : { ids },
    );
}
