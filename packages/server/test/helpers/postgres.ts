import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The machine's PostgreSQL (and CI's): 127.0.0.1:5432, trust auth, as user postgres (or root). */
const HOST = '127.0.0.1:5432';
const USERS = ['postgres', 'root'];

export interface TestDatabase {
  /** postgres:// URL of the fresh database. */
  url: string;
  name: string;
  /** The URL of a schema of its own inside the database (created here), for a store that must start empty. */
  schemaUrl(schema: string): Promise<string>;
  /** Runs one statement on the database as the admin user. */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<R[]>;
  /** Drops the database, ending any session still connected to it. */
  drop(): Promise<void>;
}

async function adminClient(database: string): Promise<{ client: pg.Client; user: string }> {
  let last: unknown;
  for (const user of USERS) {
    const client = new pg.Client({ connectionString: `postgres://${user}@${HOST}/${database}` });
    client.on('error', () => {});
    try {
      await client.connect();
      return { client, user };
    } catch (err) {
      last = err;
    }
  }
  throw new Error(`PostgreSQL is not reachable at ${HOST} (start it: see .ci/run): ${String(last)}`);
}

/** Creates `parley_test_<random>`; never skipped: a missing PostgreSQL fails the test that needs it. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `parley_test_${randomBytes(6).toString('hex')}`;
  const admin = await adminClient('postgres');
  await admin.client.query(`CREATE DATABASE ${name}`);
  await admin.client.end();
  const { client, user } = await adminClient(name);
  const url = `postgres://${user}@${HOST}/${name}`;
  return {
    url,
    name,
    async schemaUrl(schema) {
      await client.query(`CREATE SCHEMA ${schema}`);
      return `${url}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
    },
    async query(text, values) {
      return (await client.query(text, values)).rows;
    },
    async drop() {
      await client.end().catch(() => {});
      const a = await adminClient('postgres');
      try {
        await a.client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await a.client.end();
      }
    },
  };
}
