import { AMQP_REPLY_CODES, ERROR_CODES, amqpReplyCode, unrecoverableBrokerFailure } from '../../shared/index.js';

/** An error as amqplib raises it for a close the broker sends on an open connection. */
function closedWith(code: number, message = `Connection closed: ${code}`): Error {
  return Object.assign(new Error(message), { code });
}

describe('amqpReplyCode', () => {
  it.each<[unknown, string]>([
    [undefined, 'nothing'],
    ['403', 'a string, not an error'],
    [new Error('connect ECONNREFUSED 127.0.0.1:1'), 'a socket error'],
    [Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), 'a string code'],
    [new Error('Socket closed abruptly during opening handshake'), 'a lost socket'],
    [new Error('the password 403 is wrong'), 'a number in free text'],
  ])('finds none in %p (%s)', (err) => {
    expect(amqpReplyCode(err)).toBeUndefined();
  });

  it('takes the numeric code amqplib sets', () => {
    expect(amqpReplyCode(closedWith(320))).toBe(320);
  });

  it('reads the code amqplib formats into a handshake refusal', () => {
    const err = new Error('Handshake terminated by server: 403 (ACCESS-REFUSED) with message "ACCESS_REFUSED - Login was refused"');
    expect(amqpReplyCode(err)).toBe(403);
  });

  it('counts a close in answer to connection.open as 530 NOT_ALLOWED', () => {
    expect(amqpReplyCode(new Error('Expected ConnectionOpenOk; got <ConnectionClose channel:0>'))).toBe(530);
  });
});

describe('unrecoverableBrokerFailure', () => {
  it.each([
    [AMQP_REPLY_CODES.ACCESS_REFUSED, ERROR_CODES.BROKER_ACCESS_REFUSED],
    [AMQP_REPLY_CODES.NOT_ALLOWED, ERROR_CODES.BROKER_UNREACHABLE],
  ])('gives up on %d with %s', (code, expected) => {
    expect(unrecoverableBrokerFailure(closedWith(code))).toBe(expected);
  });

  it.each([AMQP_REPLY_CODES.CONNECTION_FORCED, 541])('retries after %d', (code) => {
    expect(unrecoverableBrokerFailure(closedWith(code))).toBeUndefined();
  });

  it('decides on the code, not on words in the message', () => {
    expect(unrecoverableBrokerFailure(closedWith(320, 'Connection closed: 320 (CONNECTION-FORCED) ACCESS_REFUSED 403'))).toBeUndefined();
    expect(unrecoverableBrokerFailure(new Error('ACCESS_REFUSED'))).toBeUndefined();
  });
});
