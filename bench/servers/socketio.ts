import { createServer } from 'node:http';
import { Server } from 'socket.io';

/**
 * Reference 2: the chat server a Node developer would otherwise write with Socket.IO 4.8 — each user joins a room of
 * its own and its groups' rooms; `dm` and `group` events are broadcast with `socket.to(room).emit` (Socket.IO encodes
 * a broadcast once) and acknowledged. No auth, no storage. SIO_RECOVERY=1 turns on connection state recovery (the
 * catch-up reference: missed broadcasts kept in memory and replayed on reconnect).
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
    socket.to(`u:${m.to}`).emit('msg', { from: user, text: m.text });
    ack?.({ ok: true });
  });
  socket.on('group', (m: { to: string; text: string }, ack?: (r: unknown) => void) => {
    socket.to(`g:${m.to}`).emit('msg', { from: user, text: m.text });
    ack?.({ ok: true });
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
process.on('disconnect', () => process.exit(0));
