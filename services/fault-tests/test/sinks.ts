import { Client } from 'pg';

/** Interactions plus votes stored in the curator's database: how far it has got. */
export async function countRows(databaseUrl: string): Promise<number> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number }>(
      'select (select count(*) from interactions)::int + (select count(*) from feedback)::int as n',
    );
    return rows[0]!.n;
  } finally {
    await client.end();
  }
}
