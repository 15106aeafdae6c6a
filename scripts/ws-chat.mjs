#!/usr/bin/env node
// A line-based WebSocket client for trying Parley by hand.
//   node scripts/ws-chat.mjs <access-token> [--to <user id> | --conversation <conversation id>] [--url ws://localhost:3000/v1/ws]
// Every frame the server sends is printed as JSON. Type a line to send it as a message; a line starting with "{" is
// sent as a raw protocol frame (see docs/protocol.md), e.g. {"type":"conv.list","id":"1"}.
import { createInterface } from 'node:readline';
import WebSocket from 'ws';

const args = process.argv.slice(2);
const token = args[0];
const opt = (name) => {
  const i = args.indexOf(name);
  return i > 0 ? args[i + 1] : undefined;
};
if (!token) {
  console.error('usage: node scripts/ws-chat.mjs <access-token> [--to <user id> | --conversation <id>] [--url <ws url>]');
  process.exit(2);
}
const url = opt('--url') ?? `ws://localhost:${process.env.PORT ?? 3000}/v1/ws`;
const to = opt('--to');
const conversation = opt('--conversation');
let n = 0;
let ready = false;
const waiting = [];

const ws = new WebSocket(url);
ws.on('open', () => ws.send(JSON.stringify({ type: 'auth', token })));
ws.on('message', (data) => {
  console.log(`< ${data}`);
  if (!ready && JSON.parse(data).type === 'hello') {
    ready = true;
    for (const frame of waiting.splice(0)) ws.send(frame);
  }
});
const send = (frame) => (ready ? ws.send(frame) : waiting.push(frame)); // lines typed before auth wait for hello
ws.on('close', (code, reason) => {
  console.log(`closed ${code} ${reason}`);
  process.exit(0);
});
ws.on('error', (err) => console.error(`error: ${err.message}`));

createInterface({ input: process.stdin }).on('line', (line) => {
  if (!line.trim()) return;
  if (line.trim().startsWith('{')) return send(line.trim());
  const target = conversation ? { conversation_id: conversation } : { to_user_id: /^\d+$/.test(to ?? '') ? Number(to) : to };
  if (!conversation && !to) return console.error('give --to or --conversation to send text, or type a JSON frame');
  send(JSON.stringify({ type: 'msg.send', id: `m${++n}`, client_msg_id: `cli-${Date.now()}-${n}`, text: line, ...target }));
});
