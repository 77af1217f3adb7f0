import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { ROOM_MEMBERS_MAIN, trackChild } from './programs.js';
import type { FromMembers, ToMembers } from './room-members.js';
import type { DeliveryHandler, MemberSettings, Members, SystemLabel } from './systems.js';

/**
 * The members of one room spread over `processes` child processes (bench/room-members.ts), each
 * holding a contiguous range, as one `Members`. Receipts carry the time they arrived in the child.
 */
export async function startRemoteMembers(label: SystemLabel, settings: Omit<MemberSettings, 'first' | 'count'>, members: number, processes: number): Promise<Members> {
  if (!existsSync(ROOM_MEMBERS_MAIN)) throw new Error(`${ROOM_MEMBERS_MAIN} is missing: run npm run build first`);
  const parts = Math.max(1, Math.min(processes, members));
  const per = Math.ceil(members / parts);
  const children: { child: ChildProcess; first: number; count: number; stderr: string }[] = [];
  for (let first = 0; first < members; first += per) {
    const child = fork(ROOM_MEMBERS_MAIN, [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    trackChild(child);
    const entry = { child, first, count: Math.min(per, members - first), stderr: '' };
    child.stderr?.on('data', (chunk: Buffer) => (entry.stderr = (entry.stderr + chunk.toString('utf8')).slice(-4000)));
    children.push(entry);
  }
  let handler: DeliveryHandler = () => undefined;
  let nextId = 0;
  const waiting = new Map<number, { resolve(): void; reject(err: Error): void }>();
  const post = (child: ChildProcess, message: ToMembers): void => void child.send(message);
  for (const { child } of children) {
    child.on('message', (message: FromMembers) => {
      if (message.type === 'receipts') {
        for (const [to, text, serverTs, clientTs, at] of message.receipts) handler(to, { text, serverTs, clientTs }, at);
      } else if (message.type === 'published') {
        const waiter = waiting.get(message.id);
        waiting.delete(message.id);
        if (message.error === null) waiter?.resolve();
        else waiter?.reject(new Error(message.error));
      }
    });
  }
  const kill = (): void => {
    for (const { child } of children) child.kill('SIGKILL');
  };
  const until = (child: ChildProcess, wanted: FromMembers['type'], what: string, timeoutMs: number, stderr: () => string): Promise<void> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`members process: no ${wanted} within ${timeoutMs} ms (${what}); stderr: ${stderr()}`)), timeoutMs);
      const onMessage = (message: FromMembers): void => {
        if (message.type === wanted) done(resolve);
        else if (message.type === 'failed') done(() => reject(new Error(`members process: ${message.message}`)));
      };
      const onExit = (code: number | null): void => done(() => (wanted === 'closed' ? resolve() : reject(new Error(`members process exited (${code}) before ${wanted}; stderr: ${stderr()}`))));
      const done = (settle: () => void): void => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
        settle();
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  try {
    await Promise.all(
      children.map((entry) => {
        const ready = until(entry.child, 'ready', `${entry.count} ${label} members joining`, 600_000, () => entry.stderr);
        // The processes share the joining: together they open at most settings.joinConcurrency connections at once.
        const joinConcurrency = Math.max(1, Math.ceil(settings.joinConcurrency / children.length));
        post(entry.child, { type: 'start', label, settings: { ...settings, joinConcurrency, first: entry.first, count: entry.count } });
        return ready;
      }),
    );
  } catch (err) {
    kill();
    throw err;
  }
  return {
    pids: children.map((entry) => entry.child.pid ?? 0).filter((pid) => pid > 0),
    publish: (from, text) =>
      new Promise<void>((resolve, reject) => {
        const owner = children.find((entry) => from >= entry.first && from < entry.first + entry.count);
        if (!owner) throw new Error(`no participant ${from}`);
        const id = nextId++;
        waiting.set(id, { resolve, reject });
        post(owner.child, { type: 'send', id, from, text });
      }),
    setDeliveryHandler: (next) => {
      handler = next;
    },
    close: async () => {
      await Promise.all(
        children.map((entry) => {
          const closed = until(entry.child, 'closed', 'closing', 120_000, () => entry.stderr).catch(() => entry.child.kill('SIGKILL'));
          post(entry.child, { type: 'close' });
          return closed;
        }),
      );
    },
  };
}
