import type { WarrenClient } from '../../client/lib/warren-client.js';
import type { ActivatedEvent, ChatEvent, ErrorCode, MessageRemoved, MessageUpdated, PrivateStatus, RoomEvent } from '../../shared/index.js';
import type { RunningCoordinator } from './coordinator.js';
import { waitFor } from './wait.js';

/** Everything a client library reported, in arrival order, for assertions after the fact. */
export interface Recording {
  messages: ChatEvent[];
  updates: MessageUpdated[];
  removals: MessageRemoved[];
  roomEvents: RoomEvent[];
  privateStatus: PrivateStatus[];
  activated: ActivatedEvent[];
  held: { clientMsgId: string; room: string }[];
  /** Texts of the messages received, optionally of one room only. */
  texts(room?: string): string[];
  /** Resolves with the first message whose text is `text` (waiting for it if needed). */
  waitForText(text: string): Promise<ChatEvent>;
}

export function record(client: WarrenClient): Recording {
  const recording: Recording = {
    messages: [],
    updates: [],
    removals: [],
    roomEvents: [],
    privateStatus: [],
    activated: [],
    held: [],
    texts: (room) => recording.messages.filter((event) => room === undefined || event.room === room).map((event) => event.text),
    waitForText: (text) =>
      waitFor(
        () => recording.messages.find((event) => event.text === text),
        () => `a message "${text}" to ${client.name ?? 'the client'}; it has ${JSON.stringify(recording.texts())}`,
      ),
  };
  client.on('message', (event) => recording.messages.push(event));
  client.on('messageUpdated', (event) => recording.updates.push(event));
  client.on('messageRemoved', (event) => recording.removals.push(event));
  client.on('roomEvent', (event) => recording.roomEvents.push(event));
  client.on('privateStatus', (event) => recording.privateStatus.push(event));
  client.on('activated', (event) => recording.activated.push(event));
  client.on('held', (event) => recording.held.push(event));
  return recording;
}

export interface Person {
  client: WarrenClient;
  seen: Recording;
}

/** A client of the running coordinator, recording from before login, logged in as `name`. */
export async function person(running: RunningCoordinator, name: string): Promise<Person> {
  const client = await running.client();
  const seen = record(client);
  await client.login(name);
  return { client, seen };
}

/** Asserts that the promise rejects with a WarrenError of this code; returns its message. */
export async function refusedWith(promise: Promise<unknown>, code: ErrorCode): Promise<string> {
  try {
    await promise;
  } catch (err) {
    expect(err).toMatchObject({ code });
    return (err as Error).message;
  }
  throw new Error(`expected a refusal with ${code}, but it succeeded`);
}

/**
 * Proves a negative about delivery: `sender` sends a marker to general after whatever the test
 * did; every one of `witnesses` is in general and gets it. Events published before the marker
 * by the coordinator reach each witness's queue before it, so once the marker is in, anything
 * that was going to arrive has arrived.
 */
export async function settleWith(sender: WarrenClient, witnesses: Recording[], label = 'marker'): Promise<void> {
  const text = `${label} ${Math.random().toString(36).slice(2)}`;
  await sender.send(text);
  await Promise.all(witnesses.map((seen) => seen.waitForText(text)));
}
