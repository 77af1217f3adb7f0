import { spawnCoordinator, type CoordinatorProcess } from '../support/programs.js';
import { LegacyClient, deleteLegacyNames } from './legacy-client.js';

/** The real coordinator program with WARREN_LEGACY=1 (needs `npm run build`). */
describe('warren-server with WARREN_LEGACY=1', () => {
  let server: CoordinatorProcess | undefined;
  const clients: LegacyClient[] = [];

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
    await server?.stop();
    server = undefined;
    await deleteLegacyNames();
  });

  it('serves legacy clients, and shuts down cleanly with them connected', async () => {
    server = await spawnCoordinator({ WARREN_LEGACY: '1' });
    expect(server.stderr()).toContain('legacy mode: serving server_pending_messages');
    const ana = await LegacyClient.connect();
    const beto = await LegacyClient.connect();
    clients.push(ana, beto);
    expect(await ana.login('ana')).toBe('ok');
    expect(await beto.login('beto')).toBe('ok');
    ana.say('hola beto');
    await beto.chatLine((line) => line.message === 'hola beto' && line.username === 'ana', 'the message from ana');
    expect(await beto.users()).toEqual(['ana', 'beto']);

    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(server.logLines().at(-1)).toContain('STOP');
  });

  it('leaves the legacy names alone when legacy mode is off', async () => {
    server = await spawnCoordinator();
    expect(server.stderr()).not.toContain('legacy');
    const probe = await LegacyClient.connect({ listen: false });
    clients.push(probe);
    // Nothing declared `user_channel`: binding to it fails with 404 (and closes the probe's channel).
    await expect(probe.listen()).rejects.toMatchObject({ code: 404 });
  });
});
