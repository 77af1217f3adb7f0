import { Requester } from '../../client/lib/requester.js';
import {
  COMMAND_QUEUE_TYPES,
  ERROR_CODES,
  REPLY_TYPE_OF,
  WarrenError,
  isReplyOf,
  serverMessageSchema,
  type ServerMessage,
  type UserInfo,
} from '../../shared/index.js';
import { SAMPLE_TOKEN, SAMPLE_TS } from '../support/samples.js';

interface Published {
  id: string;
  body: Record<string, unknown>;
  confirm(): void;
}

/** A Requester whose sink records what it would publish; the test plays the broker and the coordinator. */
function requester(timeoutMs = 10_000): { requests: Requester; published: Published[] } {
  const published: Published[] = [];
  const requests = new Requester(
    { publish: (id, body, _answered, onConfirmed) => published.push({ id, body: body as Record<string, unknown>, confirm: onConfirmed }) },
    timeoutMs,
  );
  return { requests, published };
}

describe('REPLY_TYPE_OF', () => {
  it('answers every command, and only commands', () => {
    expect(Object.keys(REPLY_TYPE_OF).sort()).toEqual([...COMMAND_QUEUE_TYPES].sort());
  });

  it('names only message types the protocol has', () => {
    const types = new Set(serverMessageSchema.options.map((option) => option.shape.type.value));
    for (const reply of Object.values(REPLY_TYPE_OF)) expect(types.has(reply)).toBe(true);
  });

  it('isReplyOf tells the expected answer from another', () => {
    const done: ServerMessage = { type: 'done', requestId: 'r', message: 'ok' };
    expect(isReplyOf('kick', done)).toBe(true);
    expect(isReplyOf('users', done)).toBe(false);
  });
});

describe('Requester', () => {
  it('refuses an answer of another type than the command expects', async () => {
    const { requests, published } = requester();
    const answer = requests.request('users', {}, SAMPLE_TOKEN);
    requests.resolve({ type: 'done', requestId: published[0]!.id, message: 'not a user list' });
    await expect(answer).rejects.toMatchObject({ code: ERROR_CODES.INVALID_MESSAGE });
  });

  it('rejects with the code of an error reply', async () => {
    const { requests, published } = requester();
    const answer = requests.request('join_room', { room: 'ops' }, SAMPLE_TOKEN);
    expect(requests.fail(published[0]!.id, { type: 'error', requestId: published[0]!.id, code: ERROR_CODES.NOT_INVITED, message: 'secret' })).toBe(true);
    await expect(answer).rejects.toMatchObject({ code: ERROR_CODES.NOT_INVITED, message: 'secret' });
  });

  it('ignores a reply to a request it did not send', () => {
    const { requests } = requester();
    expect(requests.resolve({ type: 'heartbeat.ok', requestId: 'someone-else' })).toBe(false);
  });

  it('times out only after the broker confirmed the request, naming the command', async () => {
    const { requests, published } = requester(30);
    const answer = requests.request('users', {}, SAMPLE_TOKEN);
    const outcome = answer.then(() => 'answered', (err: unknown) => err);
    // Not confirmed yet (offline): no clock runs, however long it waits.
    const early = await Promise.race([outcome, new Promise((resolve) => setTimeout(() => resolve('still waiting'), 80))]);
    expect(early).toBe('still waiting');
    published[0]!.confirm();
    await expect(outcome).resolves.toMatchObject({ code: ERROR_CODES.REQUEST_TIMEOUT, message: expect.stringContaining('/users') });
  });

  it('sends the command with a fresh requestId and the token, and resolves with the typed reply', async () => {
    const { requests, published } = requester();
    const answer = requests.request('users', {}, SAMPLE_TOKEN);
    expect(published).toHaveLength(1);
    const sent = published[0]!;
    expect(sent.body).toEqual({ type: 'users', requestId: sent.id, token: SAMPLE_TOKEN });
    requests.resolve({ type: 'users.list', requestId: sent.id, users: [{ name: 'alice', since: SAMPLE_TS }] });
    // Typed without a cast: `users` exists only on the users.list reply.
    const users: UserInfo[] = (await answer).users;
    expect(users).toEqual([{ name: 'alice', since: SAMPLE_TS }]);
  });

  it('gives each request its own id', () => {
    const { requests, published } = requester();
    void requests.request('rooms', {}, SAMPLE_TOKEN).catch(() => undefined);
    void requests.request('rooms', {}, SAMPLE_TOKEN).catch(() => undefined);
    expect(published[0]!.id).not.toBe(published[1]!.id);
    requests.rejectAll(new WarrenError(ERROR_CODES.CLOSED, 'end of test'));
  });
});
