import { DEFAULT_DEAD_LETTER_BODY_BYTES, deadLetterBody, truncationMarker } from '../../server/output/dead-letter-body.js';

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

describe('the dead-letter copy of a large body', () => {
  it('keeps the first N bytes, then a marker with the original size', () => {
    const body = Buffer.alloc(20 * 1024 * 1024, 'y');
    const copy = deadLetterBody(body, 4096);
    expect(copy.subarray(0, 4096).equals(body.subarray(0, 4096))).toBe(true);
    expect(copy.subarray(4096).toString('utf8')).toBe(truncationMarker(body.length));
    expect(copy.subarray(4096).toString('utf8')).toContain(String(20 * 1024 * 1024));
  });

  it('leaves a body of exactly N bytes whole, and truncates one byte more', () => {
    expect(deadLetterBody(Buffer.alloc(4096, 'a'), 4096).length).toBe(4096);
    expect(deadLetterBody(Buffer.alloc(4097, 'a'), 4096).toString('utf8')).toBe('a'.repeat(4096) + truncationMarker(4097));
  });

  it('blanks the token before truncating, so no part of a token survives in a long copy', () => {
    const body = Buffer.from(JSON.stringify({ type: 'chat', token: 'secret-token-abcdef', text: 'z'.repeat(10_000) }));
    const copy = deadLetterBody(body, 64).toString('utf8');
    expect(copy).not.toContain('secret-token');
    expect(copy).toContain('[redacted]');
  });

  it('uses 4096 bytes by default', () => {
    expect(DEFAULT_DEAD_LETTER_BODY_BYTES).toBe(4096);
    expect(deadLetterBody(Buffer.alloc(5000, 'q')).length).toBe(4096 + Buffer.byteLength(truncationMarker(5000)));
  });
});
