import pg from 'pg';
import { isTransient, isUnreachable, toStoreError } from './pg-errors.js';

/** Runs statements; rows come back with int8 columns already numbers (see INT8 below). */
export interface Sql {
  rows<R>(text: string, values?: readonly unknown[]): Promise<R[]>;
  /** The first row, or null. */
  one<R>(text: string, values?: readonly unknown[]): Promise<R | null>;
  /** Runs a statement; resolves with the number of rows it touched. */
  run(text: string, values?: readonly unknown[]): Promise<number>;
  /** Runs a script of several statements, without parameters (migrations). */
  script(text: string): Promise<void>;
}

export interface PgDb extends Sql {
  /**
   * Runs `body` in one transaction on one connection: committed when it resolves, rolled back when it throws.
   * Deadlocks and serialization failures (and failures `retryIf` accepts) run the whole body again, up to 5
   * times: the body must be safe to repeat. Errors reach the caller through toStoreError.
   */
  tx<T>(body: (sql: Sql) => Promise<T>, retryIf?: (err: unknown) => boolean): Promise<T>;
  end(): Promise<void>;
}

export interface PgOptions {
  url: string;
  poolMax: number;
  timeoutMs: number;
  /** Shown in pg_stat_activity (lets an operator, or a test, find this node's connections). */
  applicationName?: string;
}

const INT8 = 20;

/** int8 (bigint, bigserial, COUNT) as a number: every int8 Parley stores (ids, seqs, epoch ms) is below 2^53. */
function parseInt8(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new Error(`int8 value ${text} is beyond 2^53`);
  return n;
}

const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8 && format !== 'binary'
      ? parseInt8
      : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

/** Statement texts are static, so each gets a stable name and is prepared once per connection. */
const names = new Map<string, string>();
function named(text: string, values: readonly unknown[] | undefined): pg.QueryConfig {
  let name = names.get(text);
  if (name === undefined) {
    name = `p${names.size + 1}`;
    names.set(text, name);
  }
  return { name, text, values: values as unknown[] | undefined };
}

function over(q: (c: pg.QueryConfig) => Promise<pg.QueryResult>): Sql {
  return {
    async script(text: string) {
      await q({ text });
    },
    async rows<R>(text: string, values?: readonly unknown[]) {
      return (await q(named(text, values))).rows as R[];
    },
    async one<R>(text: string, values?: readonly unknown[]) {
      return ((await q(named(text, values))).rows[0] as R | undefined) ?? null;
    },
    async run(text: string, values?: readonly unknown[]) {
      return (await q(named(text, values))).rowCount ?? 0;
    },
  };
}

/** A pool of connections to PostgreSQL. Every failure surfaces through toStoreError (UNAVAILABLE when unreachable). */
export function openPgDb(options: PgOptions): PgDb {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolMax,
    connectionTimeoutMillis: options.timeoutMs,
    query_timeout: options.timeoutMs,
    keepAlive: true,
    application_name: options.applicationName ?? 'parley',
    types,
  });
  // A connection that dies (server restart, pg_terminate_backend, network cut) is dropped by the pool and the
  // next query opens a new one; its failure reaches the caller through the query. Without these listeners the
  // 'error' event (of an idle client, or of one checked out by a transaction) would crash the process.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));

  const direct = over(async (c) => {
    try {
      return await pool.query(c);
    } catch (err) {
      throw toStoreError(err);
    }
  });

  return {
    ...direct,
    async tx(body, retryIf = () => false) {
      for (let attempt = 1; ; attempt++) {
        let client: pg.PoolClient;
        try {
          client = await pool.connect();
        } catch (err) {
          throw toStoreError(err);
        }
        try {
          await client.query('BEGIN');
          const result = await body(over((c) => client.query(c)));
          await client.query('COMMIT');
          client.release();
          return result;
        } catch (err) {
          if (isUnreachable(err)) {
            // The server ends (and rolls back) a transaction whose connection is gone; never reuse this one.
            client.release(err instanceof Error ? err : true);
          } else {
            await client.query('ROLLBACK').then(
              () => client.release(),
              (e) => client.release(e instanceof Error ? e : true),
            );
          }
          if (attempt < 5 && (isTransient(err) || retryIf(err))) continue;
          throw toStoreError(err);
        }
      }
    },
    async end() {
      await pool.end();
    },
  };
}
