import { deadLetterBody } from '../../server/output/dead-letter-body.js';

describe('the dead-letter copy of a refused input', () => {
  it('blanks a session token so nobody reading the queue can send as its owner', () => {
    const body = Buffer.from(JSON.stringify({ type: 'chat', token: 'a-valid-secret-token-123', text: '' }));
    const copy = JSON.parse(deadLetterBody(body).toString('utf8')) as Record<string, unknown>;
    expect(copy).toEqual({ type: 'chat', token: '[redacted]', text: '' });
  });

  it('keeps bodies without a token, and bodies that are not JSON objects, byte for byte', () => {
    for (const raw of ['not json {', '[1,2]', '"text"', '{"type":"login","name":"x"}']) {
      expect(deadLetterBody(Buffer.from(raw)).toString('utf8')).toBe(raw);
    }
  });
});
