import { Activation } from '../../client/lib/activation.js';
import type { ActivatedEvent } from '../../shared/index.js';

const EVENT: ActivatedEvent = { type: 'activated', serverTs: '2024-05-01T12:00:00.000Z', online: 2 };

describe('Activation', () => {
  it('is active until a login says otherwise', () => {
    expect(new Activation().active).toBe(true);
  });

  it('ignores an activation when already active', () => {
    const activation = new Activation();
    expect(activation.activated(EVENT)).toBe(false);
    expect(activation.active).toBe(true);
  });

  it('turns active once, on the first activation after a waiting login', () => {
    const activation = new Activation();
    activation.loginStarted();
    activation.loginAnswered(false);
    expect(activation.loginEnded()).toBeUndefined();
    expect(activation.active).toBe(false);
    expect(activation.activated(EVENT)).toBe(true);
    expect(activation.active).toBe(true);
    expect(activation.activated(EVENT)).toBe(false);
  });

  it('keeps an activation that arrives during the login and hands it over when the login ends', () => {
    const activation = new Activation();
    activation.loginStarted();
    expect(activation.activated(EVENT)).toBe(false);
    activation.loginAnswered(false);
    expect(activation.active).toBe(false);
    const late = activation.loginEnded();
    expect(late).toBe(EVENT);
    expect(activation.activated(EVENT)).toBe(true);
    expect(activation.active).toBe(true);
  });

  it('hands over a late activation once only', () => {
    const activation = new Activation();
    activation.loginStarted();
    activation.activated(EVENT);
    activation.loginEnded();
    expect(activation.loginEnded()).toBeUndefined();
  });

  it('forgets an activation from a login that failed when the next login starts', () => {
    const activation = new Activation();
    activation.loginStarted();
    activation.activated(EVENT);
    activation.loginStarted();
    activation.loginAnswered(false);
    expect(activation.loginEnded()).toBeUndefined();
    expect(activation.active).toBe(false);
  });
});
