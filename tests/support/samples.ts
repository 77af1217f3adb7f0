import type { ChatEvent } from '../../shared/index.js';

/**
 * Valid protocol messages to start from. Tests change one field at a time, so each refusal they
 * see is caused by that field alone.
 */
export const SAMPLE_TOKEN = 'tok_0123456789abcdefghij';
export const SAMPLE_TS = '2024-05-01T12:00:00.000Z';

export function chatMessage(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: 'chat', id: 'msg-1', token: SAMPLE_TOKEN, from: 'alice', text: 'hello', clientTs: SAMPLE_TS, ...overrides };
}

export function loginRequest(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: 'login', requestId: 'req-1', name: 'alice', clientId: 'client-1', ...overrides };
}

/** What a queue delivers: the UTF-8 JSON of a value (or a string taken as raw text). */
export function bytes(value: unknown): Buffer {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value), 'utf8');
}

/** Removes a field from a message, for the "missing field" cases. */
export function without(message: Record<string, unknown>, field: string): Record<string, unknown> {
  const copy = { ...message };
  delete copy[field];
  return copy;
}

/** A chat event as the coordinator would publish it; only `seq` matters to the sequencer. */
export function chatEvent(seq: number, overrides: Partial<ChatEvent> = {}): ChatEvent {
  return {
    type: 'message',
    room: 'general',
    seq,
    id: `server-${seq}`,
    num: seq,
    clientMsgId: `client-${seq}`,
    from: 'alice',
    text: `message ${seq}`,
    clientTs: SAMPLE_TS,
    serverTs: SAMPLE_TS,
    ...overrides,
  };
}
