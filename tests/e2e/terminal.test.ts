import { CLIENT_MAIN, spawnCoordinator, spawnScriptedClient, type CoordinatorProcess, type Program } from '../support/programs.js';
import { TerminalSession } from '../support/terminal.js';
import { waitFor } from '../support/wait.js';

/** A person at a terminal: a pseudo-terminal runs the real client; a headless xterm shows the screen. */
describe('the terminal client, typed into as a person would', () => {
  let coordinator: CoordinatorProcess;
  let other: Program;
  const sessions: TerminalSession[] = [];

  const openTerminal = (args: string[] = []): TerminalSession => {
    const session = new TerminalSession(process.execPath, [CLIENT_MAIN, ...args], {
      AMQP_URL: coordinator.env.AMQP_URL ?? '',
      WARREN_NAMESPACE: coordinator.namespace,
    });
    sessions.push(session);
    return session;
  };

  beforeAll(async () => {
    coordinator = await spawnCoordinator();
    other = spawnScriptedClient(coordinator, 'taken');
    await waitFor(() => other.stdout().includes('Welcome'), 'the other user to join');
  });
  afterAll(async () => {
    for (const session of sessions) session.kill();
    if (other.child.exitCode === null) other.child.kill('SIGKILL');
    await coordinator.stop();
  });

  it('asks for a name, refuses bad and taken ones, then chats, lists users and messages, and exits', async () => {
    const term = openTerminal();
    await term.waitForText('Choose a user name');

    term.enter('two words');
    await term.waitForText('Invalid name: the name contains a space');
    term.type('\x15'); // Ctrl+U clears the field
    term.enter('TAKEN');
    await term.waitForText(/the name "taken" is taken; choose another \[NAME_TAKEN\]/);
    term.type('\x15');
    term.enter('zoe');
    await term.waitForText('Welcome to warren, zoe! You are in #general.');
    await term.waitForText('Online (2): taken, zoe');
    await waitFor(() => other.stdout().includes('zoe joined'), 'the other user to see zoe join');

    term.enter('hello, I am zoe 🦊');
    await term.waitForText(/\[\d{2}:\d{2}:\d{2}\] \(\d+\) zoe \(you\): hello, I am zoe 🦊/);
    await waitFor(() => other.stdout().includes('zoe: hello, I am zoe 🦊'), 'the other user to get the message');

    term.enter('/users');
    await term.waitForText('Online (2): taken, zoe');
    term.enter('/mymsgs');
    await term.waitForText(/Your messages \(1\):\n\s+\[\d{2}:\d{2}:\d{2}\] \(\d+\) hello, I am zoe 🦊/);
    term.enter('/nonsense');
    await term.waitForText(/unknown command \/nonsense; the commands are \/msg, \/users, .*, \/exit \[UNKNOWN_COMMAND\]/);
    term.enter('/help');
    await term.waitForText('leave the chat and free your name');

    // A half-typed line survives an incoming message: the message appears above it.
    term.type('half a thou');
    await waitFor(() => term.cursorLine().endsWith('half a thou'), 'the typed text on the prompt line');
    other.child.stdin?.write('interrupting you\n');
    await term.waitForText('taken: interrupting you');
    await waitFor(() => term.cursorLine().includes('zoe> half a thou'), () => `prompt intact, cursor line: ${term.cursorLine()}`);
    const rows = term.lines();
    const incoming = rows.findIndex((row) => row.includes('taken: interrupting you'));
    expect(rows.slice(incoming + 1).some((row) => row.includes('half a thou'))).toBe(true);
    expect(rows.slice(0, incoming).some((row) => row.includes('half a thou'))).toBe(false);
    term.type('ght\r');
    await term.waitForText('zoe (you): half a thought');

    term.enter('/exit');
    await term.waitForText('Bye.');
    expect(await term.exited).toBe(0);
    await waitFor(() => other.stdout().includes('zoe left'), 'the other user to see zoe leave');
    await waitFor(() => coordinator.logLines().some((line) => / LEAVE name=zoe reason=exit/.test(line)), 'the LEAVE line');
  });

  it('neutralises terminal escape sequences sent by another user', async () => {
    const term = openTerminal(['--user', 'yuri']);
    await term.waitForText('Welcome to warren, yuri!');
    const hostile = 'pwn \x1b[2J\x1b]0;owned\x07 \x1b[31mred';
    other.child.stdin?.write(`${hostile}\n`);
    await term.waitForText('taken: pwn ^[[2J^[]0;owned^G ^[[31mred');
    expect(term.rawOutput).not.toContain('\x1b[2J');
    expect(term.rawOutput).not.toContain('\x1b]0;owned');
    expect(term.text()).toContain('Welcome to warren, yuri!'); // the screen was not cleared
    term.type('\x03'); // Ctrl+C leaves cleanly
    await term.waitForText('Bye.');
    expect(await term.exited).toBe(0);
  });

  it('leaves on Ctrl+D and frees the name at once', async () => {
    const term = openTerminal(['--user', 'xena']);
    await term.waitForText('Welcome to warren, xena!');
    term.type('\x04');
    await term.waitForText('Bye.');
    expect(await term.exited).toBe(0);
    // The prompt is taken off the screen: the goodbye starts on lines of its own.
    expect(term.lines()).toEqual(expect.arrayContaining(['Leaving…', 'Bye.']));
    expect(term.text()).not.toMatch(/xena> *(Leaving|Bye)/);
    const again = openTerminal(['--user', 'xena']);
    await again.waitForText('Welcome to warren, xena!');
    again.type('half typed');
    again.type('\x03');
    await again.waitForText('Bye.');
    expect(await again.exited).toBe(0);
    expect(again.lines()).toEqual(expect.arrayContaining(['Leaving…', 'Bye.']));
  });

  it('completes commands and names with Tab, and highlights and rings on a mention', async () => {
    const term = openTerminal(['--user', 'wanda']);
    await term.waitForText('Welcome to warren, wanda!');
    term.type('/us\t');
    await waitFor(() => term.cursorLine().endsWith('/users'), () => `completion, cursor line: ${JSON.stringify(term.cursorLine())} raw tail ${JSON.stringify(term.rawOutput.slice(-80))}`);
    term.type('\r');
    await term.waitForText(/Online \(\d\): taken, wanda/);
    term.type('hi @tak\t');
    await waitFor(() => term.cursorLine().endsWith('hi @taken'), () => `name completion, cursor line: ${term.cursorLine()}`);
    term.type('\x15');
    other.child.stdin?.write('ping @wanda\n');
    await term.waitForText('taken: ping @wanda');
    expect(term.rawOutput).toContain('\x07');
    term.enter('/exit');
    expect(await term.exited).toBe(0);
  });

  it('highlights a mention in the history shown at login without ringing the bell', async () => {
    other.child.stdin?.write('earlier ping @vera\n');
    await waitFor(() => other.stdout().includes('earlier ping @vera'), 'the mention to be accepted');
    const term = openTerminal(['--user', 'vera']);
    await term.waitForText('taken: earlier ping @vera');
    await term.waitForText('Welcome to warren, vera!');
    expect(term.rawOutput).not.toContain('\x07');
    term.enter('/exit');
    expect(await term.exited).toBe(0);
  });
  it('registers a name with the password typed hidden twice, then asks for it (hidden) at the next login', async () => {
    const first = openTerminal();
    await first.waitForText('Choose a user name');
    first.enter('ivy');
    await first.waitForText('Welcome to warren, ivy!');
    first.enter('/register');
    await first.waitForText('New password (at least 8 characters):');
    first.enter('not same 1');
    await first.waitForText('The same password again:');
    first.enter('not same 2');
    await first.waitForText('[PASSWORD_MISMATCH]');
    first.enter('/register');
    await first.waitForText('New password (at least 8 characters):');
    first.enter('ivy password 7');
    await first.waitForText('The same password again:');
    first.enter('ivy password 7');
    await first.waitForText('"ivy" is registered');
    expect(first.rawOutput).not.toContain('ivy password 7');
    expect(first.rawOutput).not.toContain('not same');
    first.enter('/exit');
    expect(await first.exited).toBe(0);

    const second = openTerminal();
    await second.waitForText('Choose a user name');
    second.enter('ivy');
    await second.waitForText('"ivy" is registered. Password:');
    second.enter('a wrong guess');
    await second.waitForText('[PASSWORD_WRONG]');
    second.type('\x15');
    second.enter('ivy password 7');
    await second.waitForText('Welcome to warren, ivy!');
    expect(second.rawOutput).not.toContain('a wrong guess');
    expect(second.rawOutput).not.toContain('ivy password 7');
    second.enter('/exit');
    expect(await second.exited).toBe(0);
  });
});
