import { ERROR_CODES, LOCAL_ERROR_CODES, WIRE_ERROR_CODES, errorReplySchema, isWireErrorCode } from '../../shared/index.js';

const wire = Object.values(WIRE_ERROR_CODES);
const local = Object.values(LOCAL_ERROR_CODES);

describe('error codes: wire and local', () => {
  it.each(local)('an error reply may not carry the local code %s', (code) => {
    expect(errorReplySchema.safeParse({ type: 'error', code, message: 'x' }).success).toBe(false);
    expect(isWireErrorCode(code)).toBe(false);
  });

  it('an error reply may not carry a code that is in neither table', () => {
    expect(errorReplySchema.safeParse({ type: 'error', code: 'SOMETHING_ELSE', message: 'x' }).success).toBe(false);
    expect(isWireErrorCode('SOMETHING_ELSE')).toBe(false);
    expect(isWireErrorCode('toString')).toBe(false);
  });

  it.each(wire)('an error reply may carry the wire code %s', (code) => {
    expect(errorReplySchema.safeParse({ type: 'error', code, message: 'x' }).success).toBe(true);
    expect(isWireErrorCode(code)).toBe(true);
  });

  it('the two tables share no code, and together are ERROR_CODES', () => {
    expect(wire.filter((code) => local.includes(code as never))).toEqual([]);
    expect(Object.values(ERROR_CODES).sort()).toEqual([...wire, ...local].sort());
  });

  it('each code is its own name', () => {
    for (const [key, code] of Object.entries(ERROR_CODES)) expect(code).toBe(key);
  });
});
