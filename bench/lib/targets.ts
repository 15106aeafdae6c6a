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
  /**
   * Receipts, as the SDK sends them. `message`, `receipt`, `error`: byte prefixes of a delivered message, a receipt
   * event and an error frame (compared on the first bytes of every frame). `position` reads the conversation id and
   * seq of a message from its first bytes; `delivered` and `read` are the confirmation frames (read has an id).
   */
  readonly message: Buffer;
  readonly receipt: Buffer;
  readonly error: Buffer | null;
  position(buf: Buffer, start: number, end: number): [string, number] | null;
  delivered(conv: string, seq: number): string;
  read(conv: string, seq: number, id: string): string;
  /**
   * The SDK's first request once ready (Parley: `sync`, C1; the server holds live events until a client's first
   * frame, C4), or null.
   */
  readonly start: string | null;
  /** A receipt event's [user, delivered, read] (read -1 when absent or null). */
  receiptOf(buf: Buffer, start: number, end: number): [number, number, number] | null;
}

/** True when buf[start, end) begins with `prefix`. */
export function hasPrefix(buf: Buffer, start: number, end: number, prefix: Buffer): boolean {
  const n = prefix.length;
  if (end - start < n) return false;
  for (let i = 0; i < n; i++) if (buf[start + i] !== prefix[i]) return false;
  return true;
}

/** The decimal number after `key` in buf[start, end) (a quoted one too), or -1; `from` is where to look. */
export function numberAfter(buf: Buffer, start: number, end: number, key: Buffer): number {
  const k = buf.indexOf(key, start);
  if (k < 0 || k + key.length >= end) return -1;
  let i = k + key.length;
  if (buf[i] === 0x22) i++;
  let v = 0;
  let any = false;
  for (; i < end; i++) {
    const c = buf[i] as number;
    if (c < 48 || c > 57) break;
    v = v * 10 + (c - 48);
    any = true;
  }
  return any && i < end ? v : -1;
}

/** The string after `key` (which ends with the opening quote) up to the closing quote, or null. */
function stringAfter(buf: Buffer, start: number, end: number, key: Buffer): [string, number] | null {
  const k = buf.indexOf(key, start);
  if (k < 0) return null;
  const from = k + key.length;
  const close = buf.indexOf(0x22, from);
  if (close < 0 || close >= end) return null;
  return [buf.toString('latin1', from, close), close];
}

function positionOf(convKey: Buffer, seqKey: Buffer) {
  return (buf: Buffer, start: number, end: number): [string, number] | null => {
    const conv = stringAfter(buf, start, end, convKey);
    if (!conv) return null;
    const seq = numberAfter(buf, conv[1], end, seqKey);
    return seq < 0 ? null : [conv[0], seq];
  };
}

function receiptOfKeys(user: Buffer, delivered: Buffer, read: Buffer) {
  return (buf: Buffer, start: number, end: number): [number, number, number] | null => {
    const u = numberAfter(buf, start, end, user);
    const d = numberAfter(buf, start, end, delivered);
    return u < 0 || d < 0 ? null : [u, d, numberAfter(buf, start, end, read)];
  };
}

const SEQ = Buffer.from('"seq":');
/** The seq a send's acknowledgement carries (Parley's result, the references' acks), or -1. */
export function ackSeqOf(payload: Buffer): number {
  return numberAfter(payload, 0, payload.length, SEQ);
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
const PARLEY_MSG = Buffer.from('{"type":"msg.new"');
const PARLEY_RECEIPT = Buffer.from('{"type":"receipt"');
const CONV_ID = Buffer.from('"conversation_id":"');
const USER_ID = Buffer.from('"user_id":');
const DELIVERED_SEQ = Buffer.from('"delivered_seq":');
const READ_SEQ = Buffer.from('"read_seq":');

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
    message: PARLEY_MSG,
    receipt: PARLEY_RECEIPT,
    error: PARLEY_ERROR,
    position: positionOf(CONV_ID, SEQ),
    delivered: (conv, seq) => `{"type":"msg.delivered","conversation_id":"${conv}","seq":${seq}}`,
    read: (conv, seq, id) => `{"type":"conv.read","id":"${id}","conversation_id":"${conv}","seq":${seq}}`,
    receiptOf: receiptOfKeys(USER_ID, DELIVERED_SEQ, READ_SEQ),
    start: '{"type":"sync","id":"start","positions":{}}',
  };
}

const RAW_ACK = Buffer.from('{"type":"ack","id":');
const REF_CONV = Buffer.from('"conv":"');
const REF_USER = Buffer.from('"user":');
const REF_DELIVERED = Buffer.from('"delivered":');
const REF_READ = Buffer.from('"read":');
const refReceiptOf = receiptOfKeys(REF_USER, REF_DELIVERED, REF_READ);

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
    message: Buffer.from('{"type":"msg"'),
    receipt: Buffer.from('{"type":"receipt"'),
    error: null,
    position: positionOf(REF_CONV, SEQ),
    delivered: (conv, seq) => `{"t":"delivered","conv":"${conv}","seq":${seq}}`,
    read: (conv, seq, id) => `{"t":"read","id":"${id}","conv":"${conv}","seq":${seq}}`,
    receiptOf: refReceiptOf,
    start: null,
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
    message: Buffer.from('42["msg"'),
    receipt: Buffer.from('42["receipt"'),
    error: null,
    position: positionOf(REF_CONV, SEQ),
    delivered: (conv, seq) => `42["delivered",{"conv":"${conv}","seq":${seq}}]`,
    // An ack id Socket.IO can echo must be numeric: the read's own counter, far above any send's.
    read: (conv, seq, id) => `42${1_000_000_000 + Number(id.slice(1))}["read",{"conv":"${conv}","seq":${seq}}]`,
    receiptOf: refReceiptOf,
    start: null,
  };
}

export function targetOf(kind: TargetKind, secret: string): Target {
  return kind === 'parley' ? parleyTarget(secret) : kind === 'raw' ? rawTarget() : socketIoTarget();
}
