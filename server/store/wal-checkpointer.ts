import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * Copies the WAL back into the database file on a thread of its own, with a connection of its
 * own (PASSIVE checkpoints: they never wait for the writer and never block it). SQLite's automatic
 * checkpoint runs inside the commit that crosses its threshold, on the coordinator's only thread:
 * every ~1,000 pages a commit took 10–20 ms longer, and with a larger threshold the rare one took
 * up to 100 ms, which was the p99 of the paced benchmark phases. The writer's own automatic
 * checkpoint is off while this runs, and comes back if the thread fails.
 */
/** WAL pages (4 KB each) past which the log is made to start over: 16 MB. */
const RESTART_PAGES = 4000;

export class WalCheckpointer {
  private readonly worker: Worker;
  private stopped = false;

  constructor(databasePath: string, options: { intervalMs: number; onFailure: (reason: string) => void }) {
    const modulePath = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { databasePath, modulePath, intervalMs: options.intervalMs, restartPages: RESTART_PAGES } });
    this.worker.unref();
    this.worker.on('message', (message: { error?: string }) => {
      if (message.error !== undefined) options.onFailure(message.error);
    });
    this.worker.on('error', (err) => {
      if (!this.stopped) options.onFailure(err.message);
    });
    this.worker.on('exit', (code) => {
      if (!this.stopped) options.onFailure(`checkpoint thread exited (${code})`);
    });
  }

  stop(): void {
    this.stopped = true;
    this.worker.postMessage('stop');
  }
}

/** CommonJS, run by the worker: better-sqlite3 is loaded from the path the main thread resolved. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.modulePath);
const db = new Database(workerData.databasePath, { fileMustExist: true });
db.pragma('busy_timeout = 1000');
let failed = false;
const timer = setInterval(() => {
  try {
    // PASSIVE copies what it can without waiting. Under steady writes the WAL is never wholly
    // copied at a moment the writer starts, so it would never start over: past restartPages, a
    // RESTART (which waits for the writer's current commit, with little left to copy) makes the
    // next commit write from the WAL's beginning again.
    const [state] = db.pragma('wal_checkpoint(PASSIVE)');
    if (state && state.log > workerData.restartPages) db.pragma('wal_checkpoint(RESTART)');
  } catch (err) {
    if (!failed) parentPort.postMessage({ error: String(err && err.message || err) });
    failed = true;
  }
}, workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message !== 'stop') return;
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;
