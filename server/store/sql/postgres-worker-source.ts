/**
 * CommonJS, run by the PostgreSQL bridge's worker (postgres-database.ts); `pg` is loaded from the
 * path the main thread resolved (jest runs the TS sources, so the worker cannot be a .ts file).
 * Requests arrive on parentPort; each answer is posted on the answer port, then the shared flag is
 * raised and the main thread, blocked in Atomics.wait, woken. One request at a time.
 */
export const POSTGRES_WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const pg = require(workerData.modulePath);
const { answers, flag } = workerData;
// BIGINT (ms timestamps, nums, COUNT) and NUMERIC as JS numbers, as SQLite gives them.
const types = {
  getTypeParser(oid, format) {
    if (oid === 20 || oid === 1700) return (value) => (value === null ? null : Number(value));
    return pg.types.getTypeParser(oid, format);
  },
};
const client = new pg.Client({ connectionString: workerData.url, types, options: '-c search_path=' + workerData.schema });
client.on('error', () => {});
const connected = client.connect().then(async () => {
  try {
    await client.query('CREATE SCHEMA IF NOT EXISTS "' + workerData.schema + '"');
  } catch (err) {
    // Two stores creating one schema at once: the other made it.
    if (err.code !== '23505' && err.code !== '42P06') throw err;
  }
});

function answer(message) {
  answers.postMessage(message);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
}

function toBuffers(values) {
  return values.map((value) => (value instanceof Uint8Array && !Buffer.isBuffer(value) ? Buffer.from(value.buffer, value.byteOffset, value.byteLength) : value));
}

function describe(err) {
  return { message: String((err && err.message) || err), code: err && err.code, detail: err && err.detail, constraint: err && err.constraint };
}

parentPort.on('message', async (request) => {
  try {
    await connected;
    if (request.op === 'close') {
      await client.end();
      answer({ id: request.id, rows: [], changes: 0 });
      parentPort.close();
      return;
    }
    const result = request.op === 'exec'
      ? await client.query(request.sql)
      : await client.query({ name: request.name, text: request.sql, values: toBuffers(request.values) });
    const last = Array.isArray(result) ? result[result.length - 1] : result;
    answer({ id: request.id, rows: (last && last.rows) || [], changes: (last && last.rowCount) || 0 });
  } catch (err) {
    answer({ id: request.id, error: describe(err) });
  }
});
`;
