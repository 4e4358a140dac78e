/**
 * The sample one-card database (onecard-schema.sql) created in a database of the tests' private cluster, with its
 * accounts: what the direct PostgreSQL link queries by default.
 */
import { readFileSync } from 'node:fs';
import pg from 'pg';
import type { CampusAccount } from '../../gateway/onecard/one-card-system.ts';

const SCHEMA = readFileSync(new URL('./onecard-schema.sql', import.meta.url), 'utf8');

export async function createSampleOneCardDb(url: string, accounts: CampusAccount[]): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(SCHEMA);
    for (const a of accounts) {
      await client.query('insert into onecard_accounts values ($1, $2, $3, $4, $5, $6)',
        [a.campusAccount, a.asn.toUpperCase(), a.name, a.staffNo, a.bankId ?? null, a.bankPan ?? null]);
    }
  } finally {
    await client.end();
  }
}
