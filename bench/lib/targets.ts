import type { RawWs } from './raw-ws.js';
import { hostToken } from './token.js';

/** Which server a load generator talks to: Parley, or one of the two references. */
export type TargetKind = 'parley' | 'raw' | 'socketio';

/**
 * How the load generator speaks to each server. Every message carries a marker `~<sender>.<n>.<sentAtUs>~` in its
 * text, found in a received frame with one indexOf, so receivers never JSON-parse deliveries.
 */
export interface Target {
  readonly kind: TargetKind;
  /** The upgrade path for a user, with the rooms (group ids) it belongs to for the references. */
  path(user: string, rooms?: string[]): string;
  /** A frame to send once the socket is open (Socket.IO namespace connect), or null. */
  greeting(user: string): string | null;
  /** True for the frame that says the connection is ready (authenticated). Null: ready once open. */
  isReady: ((payload: Buffer) => boolean) | null;
  dm(n: number, to: string, clientMsgId: string, text: string): string;
  group(n: number, groupId: string, clientMsgId: string, text: string): string;
  /** The request number a reply acknowledges, -1 for any other frame, -2 for an error reply. */
  ackOf(payload: Buffer): number;
  /** Protocol-level keepalives carried as data frames (Engine.IO ping): answers them; true when it was one. */
  control(payload: Buffer, ws: RawWs): boolean;
}

const TILDE = 0x7e;

/** The marker of a delivered message: [sender, n, sentAtUs], or null. */
export function markerOf(payload: Buffer): [number, number, number] | null {
  const start = payload.indexOf(TILDE);
  if (start < 0) return null;
  const out: number[] = [0, 0, 0];
  let field = 0;
  let v = 0;
  for (let i = start + 1; i < payload.length; i++) {
    const c = payload[i] as number;
    if (c >= 48 && c <= 57) v = v * 10 + (c - 48);
    else if (c === 46) {
      out[field++] = v;
      v = 0;
      if (field > 2) return null;
    } else if (c === TILDE) {
      out[field] = v;
      return field === 2 ? (out as [number, number, number]) : null;
    } else return null;
  }
  return null;
}

export function markerText(sender: number, n: number, sentAtUs: number, filler: string): string {
  return `~${sender}.${n}.${Math.round(sentAtUs)}~${filler}`;
}

/** Reads the decimal number starting at `from` (stops at the first non-digit). */
function intAt(payload: Buffer, from: number): number {
  let v = 0;
  let any = false;
  for (let i = from; i < payload.length; i++) {
    const c = payload[i] as number;
    if (c < 48 || c > 57) break;
    v = v * 10 + (c - 48);
    any = true;
  }
  return any ? v : -1;
}

const startsWith = (payload: Buffer, prefix: Buffer) =>
  payload.length >= prefix.length && payload.compare(prefix, 0, prefix.length, 0, prefix.length) === 0;

const PARLEY_HELLO = Buffer.from('{"type":"hello"');
const PARLEY_RESULT = Buffer.from('{"type":"result","id":');
const PARLEY_ERROR = Buffer.from('{"type":"error"');

export function parleyTarget(secret: string): Target {
  return {
    kind: 'parley',
    path: (user) => `/v1/ws?access_token=${hostToken(secret, user)}`,
    greeting: () => null,
    isReady: (p) => startsWith(p, PARLEY_HELLO),
    dm: (n, to, cid, text) =>
      `{"type":"msg.send","id":${n},"to_user_id":${JSON.stringify(to)},"client_msg_id":"${cid}","text":"${text}"}`,
    group: (n, groupId, cid, text) =>
      `{"type":"msg.send","id":${n},"conversation_id":"${groupId}","client_msg_id":"${cid}","text":"${text}"}`,
    ackOf: (p) =>
      startsWith(p, PARLEY_RESULT) ? intAt(p, PARLEY_RESULT.length) : startsWith(p, PARLEY_ERROR) ? -2 : -1,
    control: () => false,
  };
}

const RAW_ACK = Buffer.from('{"type":"ack","id":');

export function rawTarget(): Target {
  return {
    kind: 'raw',
    path: (user, rooms) => `/?user=${user}${rooms && rooms.length > 0 ? `&rooms=${rooms.join(',')}` : ''}`,
    greeting: () => null,
    isReady: null,
    dm: (n, to, _cid, text) => `{"t":"dm","id":${n},"to":"${to}","text":"${text}"}`,
    group: (n, groupId, _cid, text) => `{"t":"group","id":${n},"to":"${groupId}","text":"${text}"}`,
    ackOf: (p) => (startsWith(p, RAW_ACK) ? intAt(p, RAW_ACK.length) : -1),
    control: () => false,
  };
}

const SIO_CONNECTED = Buffer.from('40{');
const SIO_ACK = Buffer.from('43');
const PONG = Buffer.from('3');

export function socketIoTarget(): Target {
  return {
    kind: 'socketio',
    path: (user, rooms) =>
      `/socket.io/?EIO=4&transport=websocket&user=${user}${rooms && rooms.length > 0 ? `&rooms=${rooms.join(',')}` : ''}`,
    greeting: () => '40',
    isReady: (p) => startsWith(p, SIO_CONNECTED),
    dm: (n, to, _cid, text) => `42${n}["dm",{"to":"${to}","text":"${text}"}]`,
    group: (n, groupId, _cid, text) => `42${n}["group",{"to":"${groupId}","text":"${text}"}]`,
    ackOf: (p) => (startsWith(p, SIO_ACK) ? intAt(p, 2) : -1),
    control: (p, ws) => {
      if (p.length === 1 && p[0] === 0x32) {
        ws.send(PONG.toString());
        return true;
      }
      return false;
    },
  };
}

export function targetOf(kind: TargetKind, secret: string): Target {
  return kind === 'parley' ? parleyTarget(secret) : kind === 'raw' ? rawTarget() : socketIoTarget();
}
