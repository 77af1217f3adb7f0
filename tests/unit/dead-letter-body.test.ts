import { deadLetterBody } from '../../server/output/dead-letter-body.js';

describe('the dead-letter copy of a refused input', () => {
  it('blanks a session token so nobody reading the queue can send as its owner', () => {
    const body = Buffer.from(JSON.stringify({ type: 'chat', token: 'a-valid-secret-token-123', text: '' }));
    const copy = JSON.parse(deadLetterBody(body).toString('utf8')) as Record<string, unknown>;
    expect(copy).toEqual({ type: 'chat', token: '[redacted]', text: '' });
  });

  it('blanks a password (a refused login or register) so the queue never holds one in clear', () => {
    const login = Buffer.from(JSON.stringify({ type: 'login', name: 'alice', clientId: 'c1', password: 'alice secret 1' }));
    expect(JSON.parse(deadLetterBody(login).toString('utf8'))).toEqual({ type: 'login', name: 'alice', clientId: 'c1', password: '[redacted]' });
    const register = Buffer.from(JSON.stringify({ type: 'register', token: 'a-valid-secret-token-123', password: 'alice secret 1' }));
    expect(JSON.parse(deadLetterBody(register).toString('utf8'))).toEqual({ type: 'register', token: '[redacted]', password: '[redacted]' });
  });

  it('keeps bodies without a token, and bodies that are not JSON objects, byte for byte', () => {
    for (const raw of ['not json {', '[1,2]', '"text"', '{"type":"login","name":"x"}']) {
      expect(deadLetterBody(Buffer.from(raw)).toString('utf8')).toBe(raw);
    }
  });
});
