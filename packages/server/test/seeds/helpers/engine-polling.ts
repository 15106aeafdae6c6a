/**
 * A raw Engine.IO v4 long-polling client over fetch, for what socket.io-client never does on its own: open an
 * engine connection and then never join the namespace, or never poll again.
 */
export class EnginePolling {
  private constructor(
    readonly base: string,
    readonly sid: string,
    readonly pingInterval: number,
  ) {}

  /** The engine handshake: `0{sid, pingInterval, ...}`. */
  static async open(url: string): Promise<EnginePolling> {
    const res = await fetch(`${url}/socket.io/?EIO=4&transport=polling`);
    const text = await res.text();
    if (!text.startsWith('0')) throw new Error(`no engine open packet: ${text}`);
    const open = JSON.parse(text.slice(1)) as { sid: string; pingInterval: number };
    return new EnginePolling(`${url}/socket.io/?EIO=4&transport=polling&sid=${open.sid}`, open.sid, open.pingInterval);
  }

  /** Joins the main namespace with a token (Socket.IO CONNECT), without reading the answer. */
  async connect(token: string): Promise<void> {
    const res = await fetch(this.base, { method: 'POST', body: `40${JSON.stringify({ token })}` });
    if (res.status !== 200) throw new Error(`CONNECT refused: ${res.status} ${await res.text()}`);
  }

  /** One poll: the HTTP status and body (the server's queued packets), or null if it did not answer in time. */
  async poll(timeoutMs = 2000): Promise<{ status: number; body: string } | null> {
    try {
      const res = await fetch(this.base, { signal: AbortSignal.timeout(timeoutMs) });
      return { status: res.status, body: await res.text() };
    } catch {
      return null;
    }
  }
}
