#!/usr/bin/env node
/**
 * Some members of the big room in a process of their own (bench/remote-members.ts forks a few),
 * so that no single event loop hands out every receipt of a thousand members. Driven over IPC:
 * `start` connects members first … first + count - 1 (raw amqplib clients or warren clients),
 * `send` publishes from one of them, `close` closes them; every receipt goes back with the time
 * it arrived here on the shared clock, a turn's worth in one IPC message.
 */
import { clock, connectRawMembers, connectWarrenMembers, type MemberSettings, type Members, type SystemLabel } from './systems.js';

export type ToMembers =
  | { type: 'start'; label: SystemLabel; settings: MemberSettings }
  | { type: 'send'; id: number; from: number; text: string }
  | { type: 'close' };

export type FromMembers =
  | { type: 'ready' }
  | { type: 'failed'; message: string }
  | { type: 'published'; id: number; error: string | null }
  /** [member, text, serverTs, clientTs, at] per receipt. */
  | { type: 'receipts'; receipts: [number, string, string, string, number][] }
  | { type: 'closed' };

const send = (message: FromMembers): void => void process.send?.(message);
const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

let members: Members | undefined;
let buffered: [number, string, string, string, number][] = [];

const flush = (): void => {
  const receipts = buffered;
  buffered = [];
  send({ type: 'receipts', receipts });
};

process.on('message', (raw: ToMembers) => {
  if (raw.type === 'start') {
    const connect = raw.label === 'warren' ? connectWarrenMembers({ ...raw.settings, logoutOnClose: false, requestTimeoutMs: 60_000 }) : connectRawMembers({ ...raw.settings, label: raw.label });
    connect.then(
      (connected) => {
        members = connected;
        connected.setDeliveryHandler((to, delivery) => {
          if (buffered.length === 0) setImmediate(flush);
          buffered.push([to, delivery.text, delivery.serverTs, delivery.clientTs, clock()]);
        });
        send({ type: 'ready' });
      },
      (err: unknown) => send({ type: 'failed', message: errorText(err) }),
    );
  } else if (raw.type === 'send') {
    const publishing = members ? members.publish(raw.from, raw.text) : Promise.reject(new Error('members not started'));
    publishing.then(
      () => send({ type: 'published', id: raw.id, error: null }),
      (err: unknown) => send({ type: 'published', id: raw.id, error: errorText(err) }),
    );
  } else {
    void (members?.close() ?? Promise.resolve()).finally(() => {
      send({ type: 'closed' });
      process.disconnect();
    });
  }
});
// The parent went away (killed): nothing left to do here.
process.on('disconnect', () => setTimeout(() => process.exit(0), 100).unref());
