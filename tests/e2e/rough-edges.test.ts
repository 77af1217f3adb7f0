import { createServer, type AddressInfo } from 'node:net';
import { spawnCoordinator, spawnScriptedClient, CLIENT_MAIN, type CoordinatorProcess, type Program } from '../support/programs.js';
import { TerminalSession } from '../support/terminal.js';
import { waitFor } from '../support/wait.js';

/** Issue 11's rough edges, each met the way a person meets it: at a terminal, or as a script. */
const occurrences = (text: string, part: string): number => text.split(part).length - 1;

describe('rough edges of the client', () => {
  let coordinator: CoordinatorProcess;
  let other: Program;
  const sessions: TerminalSession[] = [];
  const scripted: Program[] = [];

  const openTerminal = (args: string[] = [], size = { cols: 100, rows: 40 }): TerminalSession => {
    const session = new TerminalSession(process.execPath, [CLIENT_MAIN, ...args], { AMQP_URL: coordinator.env.AMQP_URL ?? '', WARREN_NAMESPACE: coordinator.namespace }, size);
    sessions.push(session);
    return session;
  };
  const script = (user: string, on = coordinator): Program => {
    const program = spawnScriptedClient(on, user);
    scripted.push(program);
    return program;
  };

  beforeAll(async () => {
    coordinator = await spawnCoordinator();
    other = script('Alice');
    await waitFor(() => other.stdout().includes('Welcome'), 'Alice to join');
  });
  afterAll(async () => {
    for (const session of sessions) session.kill();
    for (const program of scripted) if (program.child.exitCode === null) program.child.kill('SIGKILL');
    await coordinator.stop();
  });

  it('clears a refused name from the prompt: typing after "Alice" was taken gives the new name alone', async () => {
    const term = openTerminal();
    await term.waitForText('Choose a user name');
    term.enter('Alice');
    await term.waitForText('[NAME_TAKEN]');
    term.enter('carol');
    await term.waitForText('Welcome to warren, carol!');
    expect(term.text()).not.toContain('Alicecarol');
    term.enter('/exit');
    expect(await term.exited).toBe(0);
  });

  it('fits the commands after login in an 80-column terminal, broken between words', async () => {
    const term = openTerminal(['--user', 'dora'], { cols: 80, rows: 40 });
    await term.waitForText('(/help for details)');
    const rows = term.lines();
    const first = rows.findIndex((row) => row.startsWith('Commands:'));
    const last = rows.findIndex((row) => row.endsWith('(/help for details)'));
    expect(first).toBeGreaterThanOrEqual(0);
    const block = rows.slice(first, last + 1);
    for (const row of block) expect([...row].length).toBeLessThanOrEqual(80);
    // Every word whole: each command appears as a word of its own.
    const words = block.join(' ').split(/\s+/);
    for (const command of ['/msg', '/users', '/mymsgs', '/roomttl', '/help', '/exit']) expect(words).toContain(command);
    term.enter('/exit');
    expect(await term.exited).toBe(0);
  });

  it('leaves properly (the name freed at once) when its terminal is closed', async () => {
    const term = openTerminal(['--user', 'hank']);
    await term.waitForText('Welcome to warren, hank!');
    await waitFor(() => other.stdout().includes('hank joined'), 'Alice to see hank');
    const closedAt = Date.now();
    term.hangUp();
    await waitFor(() => coordinator.logLines().some((line) => / LEAVE name=hank reason=exit/.test(line)), 'hank to log out', 10_000);
    expect(Date.now() - closedAt).toBeLessThan(8000);
    await waitFor(() => /hank left · /.test(other.stdout()), 'Alice to see hank leave');
    expect(other.stdout()).not.toMatch(/hank left \(connection timed out\)/);
  });

  it('leaves properly when its terminal stops answering without a signal (a closed docker exec window)', async () => {
    const term = openTerminal(['--user', 'ivan']);
    await term.waitForText('Welcome to warren, ivan!');
    // Once the terminal has answered a status request, it counts as one that answers.
    await waitFor(() => term.rawOutput.includes('\x1b[5n'), 'a status request');
    await new Promise((resolve) => setTimeout(resolve, 500));
    const goneAt = Date.now();
    term.stopAnswering();
    await waitFor(() => coordinator.logLines().some((line) => / LEAVE name=ivan reason=exit/.test(line)), 'ivan to log out', 15_000);
    // Well before the coordinator's session timeout would have freed the name.
    expect(Date.now() - goneAt).toBeLessThan(12_000);
    expect(await term.exited).toBe(0);
    expect(other.stdout()).not.toMatch(/ivan left \(connection timed out\)/);
  });

  it('a terminal still there is not taken for gone: it answers and stays', async () => {
    const term = openTerminal(['--user', 'jill']);
    await term.waitForText('Welcome to warren, jill!');
    await new Promise((resolve) => setTimeout(resolve, 9500));
    expect(occurrences(term.rawOutput, '\x1b[5n')).toBeGreaterThanOrEqual(3);
    expect(term.text()).not.toContain('Leaving');
    term.enter('/users');
    await term.waitForText(/Online \(\d\): .*jill/);
    term.enter('/exit');
    expect(await term.exited).toBe(0);
  });

  it('says so when /room names the room one is already in', async () => {
    const kim = script('kim');
    await waitFor(() => kim.stdout().includes('Welcome'), 'kim to join');
    kim.child.stdin?.write('/room general\n');
    await waitFor(() => kim.stdout().includes('You are already in #general.'), () => `the notice; stdout:\n${kim.stdout()}`);
    kim.child.stdin?.write('/create den\n/room general\n/room den\n/room den\n/users\n');
    await waitFor(() => /Online \(\d+\)/.test(kim.stdout().split('already in #den').at(1) ?? ''), () => `the last answer; stdout:\n${kim.stdout()}`);
    expect(occurrences(kim.stdout(), 'Lines you type now go to #den.')).toBe(2);
    expect(occurrences(kim.stdout(), 'Lines you type now go to #general.')).toBe(1);
    expect(occurrences(kim.stdout(), 'You are already in #den.')).toBe(1);
    kim.child.stdin?.end();
    expect(await kim.exited).toBe(0);
  });

  it('shows the one kicked from a room the removal once', async () => {
    const lou = script('lou');
    const max = script('max');
    await waitFor(() => lou.stdout().includes('Welcome') && max.stdout().includes('Welcome'), 'lou and max to join');
    lou.child.stdin?.write('/create yard\n/invite max\n');
    await waitFor(() => max.stdout().includes('max was added to #yard by lou'), () => `max to be invited; stdout:\n${max.stdout()}`);
    // max's client has joined #yard (it follows the room's messages) once /room accepts it; until
    // its join after the invitation completes, /room answers NOT_A_MEMBER (on stderr): ask again.
    await waitFor(
      async () => {
        if (max.stdout().includes('Lines you type now go to #yard.')) return true;
        max.child.stdin?.write('/room yard\n');
        await new Promise((resolve) => setTimeout(resolve, 300));
        return false;
      },
      () => `max to be in #yard; stdout:\n${max.stdout()}\nstderr:\n${max.stderr()}`,
    );
    lou.child.stdin?.write('/kick max\n');
    await waitFor(() => max.stdout().includes('max was removed from #yard by lou'), 'max to be told');
    // Anything sent to max after the kick arrives after both copies would have: /users answers last.
    max.child.stdin?.write('/users\n');
    await waitFor(() => (max.stdout().split('removed from #yard').at(-1) ?? '').includes('Online ('), 'the /users answer');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(occurrences(max.stdout(), 'max was removed from #yard by lou')).toBe(1);
    expect(max.stdout().split('removed from #yard').at(-1)).toContain('Lines you type now go to #general.');
    for (const program of [lou, max]) program.child.stdin?.end();
    expect(await lou.exited).toBe(0);
    expect(await max.exited).toBe(0);
  });
});

describe('the name prompt, shown before the broker answers', () => {
  it('appears at once, says the broker is not there yet on Enter, and leaves on Ctrl+C', async () => {
    const closedPort = await new Promise<number>((resolvePort) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const address = server.address() as AddressInfo;
        server.close(() => resolvePort(address.port));
      });
    });
    const term = new TerminalSession(process.execPath, [CLIENT_MAIN], { AMQP_URL: `amqp://guest:guest@127.0.0.1:${closedPort}`, WARREN_NAMESPACE: 'nobroker' });
    try {
      await term.waitForText('Choose a user name');
      term.enter('quinn');
      await term.waitForText(/not connected to the broker yet [^]*press Enter to\s+try again \[BROKER_UNREACHABLE\]/, 15_000);
      // The refused attempt left the field empty: a second name is typed from scratch.
      expect(term.cursorLine()).toMatch(/Choose a user name: ?$/);
      term.type('\x03');
      await term.waitForText('Bye.');
      expect(await term.exited).toBe(0);
    } finally {
      term.kill();
    }
  });
});

describe('the waiting notice under MIN_USERS=3', () => {
  let coordinator: CoordinatorProcess;
  const clients: Program[] = [];
  beforeAll(async () => {
    coordinator = await spawnCoordinator({ MIN_USERS: '3' });
  });
  afterAll(async () => {
    for (const program of clients) if (program.child.exitCode === null) program.child.kill('SIGKILL');
    await coordinator.stop();
  });

  it('is shown to those who wait, and not to the user whose arrival starts the chat', async () => {
    for (const name of ['nina', 'otto', 'pia']) {
      const program = spawnScriptedClient(coordinator, name);
      clients.push(program);
      await waitFor(() => program.stdout().includes('Welcome'), `${name} to join`);
    }
    const [nina, otto, pia] = clients as [Program, Program, Program];
    for (const program of clients) await waitFor(() => program.stdout().includes('The chat is active'), 'the chat to start');
    expect(nina.stdout()).toContain('The chat starts when 3 users have been online at once (1 now)');
    expect(otto.stdout()).toContain('The chat starts when 3 users have been online at once (2 now)');
    expect(pia.stdout()).not.toContain('The chat starts when');
    for (const program of clients) program.child.stdin?.end();
    for (const program of clients) expect(await program.exited).toBe(0);
  });
});
