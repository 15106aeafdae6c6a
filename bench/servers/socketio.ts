import { createServer } from 'node:http';
import { Server } from 'socket.io';
import { RefReceipts } from './ref-receipts.js';
import { serveEventLoopDelay } from './eld.js';

/**
 * Reference 2: the chat server a Node developer would otherwise write with Socket.IO 4.8 — each user joins a room of
 * its own and its groups' rooms; `dm` and `group` events are broadcast with `socket.to(room).emit` (Socket.IO encodes
 * a broadcast once) and acknowledged. No auth, no storage. SIO_RECOVERY=1 turns on connection state recovery (the
 * catch-up reference: missed broadcasts kept in memory and replayed on reconnect). Messages carry a conversation and
 * a seq (`msg` {conv, seq, from, text}; the ack {ok, seq}); receivers confirm with `delivered` {conv, seq} and `read`
 * {conv, seq} (acked), and receipts go out as `receipt` {conv, user, delivered, read} (ref-receipts.ts, in memory).
 */
const recovery = process.env.SIO_RECOVERY === '1';
const httpServer = createServer();
const io = new Server(httpServer, {
  transports: ['websocket'],
  perMessageDeflate: false,
  serveClient: false,
  // Long enough that a load generator counting frames never misses a ping during a scenario.
  pingInterval: 120_000,
  pingTimeout: 60_000,
  ...(recovery ? { connectionStateRecovery: { maxDisconnectionDuration: 120_000, skipMiddlewares: true } } : {}),
});

const receipts = new RefReceipts((to, r) => {
  io.to([...to].map((u) => `u:${u}`)).emit('receipt', r);
});

io.on('connection', (socket) => {
  const q = socket.handshake.query;
  const user = String(q.user ?? '');
  if (!socket.recovered) {
    socket.join(`u:${user}`);
    for (const r of String(q.rooms ?? '')
      .split(',')
      .filter(Boolean))
      socket.join(`g:${r}`);
  }
  socket.on('dm', (m: { to: string; text: string }, ack?: (r: unknown) => void) => {
    const conv = RefReceipts.dm(user, m.to);
    const seq = receipts.message(conv, user);
    socket.to(`u:${m.to}`).emit('msg', { conv, seq, from: user, text: m.text });
    ack?.({ ok: true, seq });
  });
  socket.on('group', (m: { to: string; text: string }, ack?: (r: unknown) => void) => {
    const seq = receipts.message(m.to, user);
    socket.to(`g:${m.to}`).emit('msg', { conv: m.to, seq, from: user, text: m.text });
    ack?.({ ok: true, seq });
  });
  socket.on('delivered', (m: { conv: string; seq: number }) => {
    receipts.move(user, m.conv, m.seq, false);
  });
  socket.on('read', (m: { conv: string; seq: number }, ack?: (r: unknown) => void) => {
    const read = receipts.move(user, m.conv, m.seq, true);
    ack?.({ conv: m.conv, read });
  });
});

httpServer.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1', () => {
  const address = httpServer.address();
  process.send?.({ ready: true, port: typeof address === 'object' && address ? address.port : 0 });
});
process.on('message', (m: { cmd?: string }) => {
  if (m.cmd === 'gc') {
    (globalThis as { gc?: () => void }).gc?.();
    process.send?.({ gc: true });
  }
  if (m.cmd === 'stop') process.exit(0);
});
serveEventLoopDelay();
process.on('disconnect', () => process.exit(0));
