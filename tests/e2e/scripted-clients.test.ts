import { CLIENT_MAIN, runProgram, spawnCoordinator, spawnScriptedClient, type CoordinatorProcess, type Program } from '../support/programs.js';
import { waitFor } from '../support/wait.js';

const MESSAGE_LINE = /^\[(\d{2}:\d{2}:\d{2})\] \((\d+)\) (\S+?)(?: \(you\))?: (.*)$/;

function messageLines(output: string): string[] {
  return output
    .split('\n')
    .filter((line) => MESSAGE_LINE.test(line))
    .map((line) => line.replace(' (you):', ':'));
}

describe('three scripted clients and the real coordinator', () => {
  let coordinator: CoordinatorProcess;
  const clients: Program[] = [];

  beforeAll(async () => {
    coordinator = await spawnCoordinator();
  });
  afterAll(async () => {
    for (const client of clients) if (client.child.exitCode === null) client.child.kill('SIGKILL');
    await coordinator.stop();
  });

  it('shows every message once, in the coordinator order, in every client, and logs both timestamps', async () => {
    const names = ['ana', 'bruno', 'chen'];
    for (const name of names) {
      const client = spawnScriptedClient(coordinator, name);
      clients.push(client);
      await waitFor(() => client.stdout().includes('Welcome to warren'), `${name} to be welcomed`);
    }
    const [ana, bruno, chen] = clients as [Program, Program, Program];
    await waitFor(() => ana.stdout().includes('chen joined'), 'ana to see chen join');

    ana.child.stdin?.write('hello from ana\n');
    bruno.child.stdin?.write('olá, bruno aqui 👋 with spaces\n');
    chen.child.stdin?.write('chen says hi\n/users\n');
    for (const client of clients) {
      await waitFor(() => messageLines(client.stdout()).length >= 3, () => `3 messages in:\n${client.stdout()}`);
    }
    await waitFor(() => chen.stdout().includes('Online (3)'), '/users answer');
    for (const client of clients) client.child.stdin?.end();
    expect(await Promise.all(clients.map((client) => client.exited))).toEqual([0, 0, 0]);

    const views = clients.map((client) => messageLines(client.stdout()));
    expect(views[0]).toHaveLength(3);
    expect(views[1]).toEqual(views[0]);
    expect(views[2]).toEqual(views[0]);
    expect(views[0]?.map((line) => line.replace(/^\[[^\]]+\] \(\d+\) /, '')).sort()).toEqual(
      ['ana: hello from ana', 'bruno: olá, bruno aqui 👋 with spaces', 'chen: chen says hi'].sort(),
    );
    expect(chen.stdout()).toMatch(/Online \(3\): ana, bruno, chen/);

    const logged = coordinator.logLines().filter((line) => line.includes(' MESSAGE '));
    expect(logged).toHaveLength(3);
    for (const line of logged) {
      expect(line).toMatch(/client_ts=\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z server_ts=\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/);
    }
    // The log order is the order every client showed.
    const loggedTexts = logged.map((line) => JSON.parse(line.slice(line.indexOf('text=') + 5)) as string);
    expect(views[0]?.map((line) => line.slice(line.indexOf(': ') + 2))).toEqual(loggedTexts);
    await waitFor(() => coordinator.logLines().filter((line) => line.includes(' LEAVE ')).length === 3, 'three LEAVE lines');
  });

  it('prints the history it gets on login after the welcome, as the terminal does', async () => {
    const late = spawnScriptedClient(coordinator, 'lena');
    clients.push(late);
    await waitFor(() => messageLines(late.stdout()).length >= 3, () => `the history in:\n${late.stdout()}`);
    late.child.stdin?.end();
    expect(await late.exited).toBe(0);
    const lines = late.stdout().split('\n');
    const welcome = lines.findIndex((line) => line.startsWith('Welcome to warren, lena!'));
    const firstMessage = lines.findIndex((line) => MESSAGE_LINE.test(line));
    expect(welcome).toBeGreaterThanOrEqual(0);
    expect(firstMessage).toBeGreaterThan(welcome);
  });

  it('refuses to run without --user when there is no terminal, and says why', async () => {
    const bare = runProgram(CLIENT_MAIN, [], { AMQP_URL: coordinator.env.AMQP_URL ?? '', WARREN_NAMESPACE: coordinator.namespace });
    bare.child.stdin?.end();
    expect(await bare.exited).toBe(2);
    expect(bare.stderr()).toContain('--user NAME (or WARREN_USER) is required when input is not a terminal');
  });

  it('exits 1 and says so when the name is taken', async () => {
    const holder = spawnScriptedClient(coordinator, 'dora');
    clients.push(holder);
    await waitFor(() => holder.stdout().includes('Welcome'), 'dora logged in');
    const second = spawnScriptedClient(coordinator, 'DORA');
    second.child.stdin?.end();
    expect(await second.exited).toBe(1);
    expect(second.stderr()).toMatch(/taken.*\[NAME_TAKEN\]/);
    holder.child.stdin?.end();
    expect(await holder.exited).toBe(0);
  });

  it('rejects bad settings with the variable named', async () => {
    const bad = runProgram(CLIENT_MAIN, ['--user', 'eve'], { AMQP_URL: 'http://nope', WARREN_NAMESPACE: coordinator.namespace });
    expect(await bad.exited).toBe(2);
    expect(bad.stderr()).toMatch(/AMQP_URL: must be an amqp:\/\/ or amqps:\/\/ URL.*\[CONFIG_INVALID\]/);
  });

  it('exits 2 on an unknown flag, as for any other bad usage', async () => {
    const bad = runProgram(CLIENT_MAIN, ['--user', 'eve', '--bogus'], { AMQP_URL: coordinator.env.AMQP_URL ?? '', WARREN_NAMESPACE: coordinator.namespace });
    bad.child.stdin?.end();
    expect(await bad.exited).toBe(2);
    expect(bad.stderr()).toContain("unknown option '--bogus'");
  });
});

describe('a scripted client whose coordinator goes away', () => {
  it('does not hang at the end of its input: it says what was not accepted and exits 1', async () => {
    const coordinator = await spawnCoordinator();
    const bot = spawnScriptedClient(coordinator, 'lonely', ['--request-timeout', '1']);
    try {
      await waitFor(() => bot.stdout().includes('Welcome to warren'), 'the bot to log in');
      coordinator.child.kill('SIGTERM');
      await coordinator.exited;
      bot.child.stdin?.write('is anyone there?\n');
      bot.child.stdin?.end();
      expect(await bot.exited).toBe(1);
      expect(bot.stderr()).toMatch(/1 message\(s\) not accepted after 1 s without an answer; they stay queued and may still be delivered \[NOT_ACCEPTED\]/);
    } finally {
      if (bot.child.exitCode === null) bot.child.kill('SIGKILL');
      await coordinator.stop();
    }
  });

  it('stops waiting for a broker that is not there when it is told to stop', async () => {
    // A port nothing listens on: the client retries with backoff until SIGTERM ends the wait.
    const bot = runProgram(CLIENT_MAIN, ['--user', 'patient'], { AMQP_URL: 'amqp://guest:guest@127.0.0.1:1', WARREN_NAMESPACE: 'unused' });
    await waitFor(() => bot.stderr().includes('reconnecting'), () => `a retry; stderr:\n${bot.stderr()}`);
    bot.child.kill('SIGTERM');
    expect(await bot.exited).toBe(1);
    expect(bot.stderr()).toContain('interrupted while connecting');
  });

  it('gives up on a login nobody answers, saying so', async () => {
    const coordinator = await spawnCoordinator();
    coordinator.child.kill('SIGTERM');
    await coordinator.exited;
    const bot = spawnScriptedClient(coordinator, 'early', ['--request-timeout', '1']);
    try {
      bot.child.stdin?.end();
      expect(await bot.exited).toBe(1);
      expect(bot.stderr()).toMatch(/no answer to login within 1000 ms \[REQUEST_TIMEOUT\]/);
    } finally {
      if (bot.child.exitCode === null) bot.child.kill('SIGKILL');
      await coordinator.stop();
    }
  });
});
