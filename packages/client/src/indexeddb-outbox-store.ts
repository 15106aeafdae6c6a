import type { OutboxItem, OutboxStore } from './outbox-store.js';

const STORE = 'outbox';

/** The browser outbox: IndexedDB, one database per user (name it after the user), survives reloads. */
export class IndexedDbOutboxStore implements OutboxStore {
  private db: Promise<IDBDatabase> | null = null;

  constructor(
    private readonly name: string,
    private readonly idb: IDBFactory = (globalThis as { indexedDB: IDBFactory }).indexedDB,
  ) {}

  async load(): Promise<OutboxItem[]> {
    const items = await this.run<OutboxItem[]>('readonly', (s) => s.getAll());
    return items.sort((a, b) => a.order - b.order);
  }

  async put(item: OutboxItem): Promise<void> {
    await this.run('readwrite', (s) => s.put(item));
  }

  async remove(clientMsgId: string): Promise<void> {
    await this.run('readwrite', (s) => s.delete(clientMsgId));
  }

  private open(): Promise<IDBDatabase> {
    this.db ??= new Promise((resolve, reject) => {
      const req = this.idb.open(this.name, 1);
      req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: 'clientMsgId' });
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    return this.db;
  }

  private async run<T>(mode: IDBTransactionMode, op: (s: IDBObjectStore) => IDBRequest): Promise<T> {
    const db = await this.open();
    return new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const req = op(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(req.result as T);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  }
}
